import { describe, expect, it } from "vitest";
import type { ArticleLog } from "../../../src/store/article-store.ts";
import { article, write } from "./contract-fixtures.ts";
import type { StoreImplementation } from "./store-implementations.ts";

/**
 * The contract of the ArticleLog port (articles and the change log): what the write path,
 * start-up and the change follower rely on, whatever the store.
 */
export function describeArticleLogContract(implementation: StoreImplementation): void {
  const withStore = (test: (store: ArticleLog) => Promise<void>) => async () => {
    const store = await implementation.open();
    try {
      await test(store);
    } finally {
      await implementation.close(store);
    }
  };

  describe(`ArticleLog contract: ${implementation.name}`, () => {
    it(
      "stores articles with their topics and vectors and finds them by id and label",
      withStore(async (store) => {
        const outcomes = await store.writeArticles([
          write(article("a", { topics: ["politics", "europe"], url: "https://example.com/a" }), new Float32Array([0.6, 0.8, 0])),
          write(article("b")),
        ]);
        expect(outcomes.map((outcome) => [outcome.id, outcome.status])).toEqual([
          ["a", "created"],
          ["b", "created"],
        ]);
        const a = store.findById("a")!;
        expect(a).toMatchObject({
          id: "a",
          title: "Title a",
          body: "Body of a",
          url: "https://example.com/a",
          topics: ["politics", "europe"],
          publishedMs: Date.UTC(2025, 2, 2),
          lang: "en",
        });
        expect(store.findByLabel(a.label)!.id).toBe("a");
        expect([...store.getVector(a.label)!]).toEqual([...new Float32Array([0.6, 0.8, 0])]);
        expect(store.count()).toBe(2);
        expect(store.findEmbedHashes(["a", "missing"])).toEqual(new Map([["a", a.embedHash]]));
        expect(store.findById("missing")).toBeNull();
      }),
    );

    it(
      "says unchanged for an identical write, updated for a change, and keeps the label",
      withStore(async (store) => {
        const [created] = await store.writeArticles([write(article("a"))]);
        const [same] = await store.writeArticles([write(article("a"))]);
        expect(same!.status).toBe("unchanged");
        const [edited] = await store.writeArticles([write(article("a", { body: "A new body" }), new Float32Array([0, 1, 0]))]);
        expect(edited).toMatchObject({ status: "updated", label: created!.label });
        expect(edited!.seq).toBeGreaterThan(created!.seq);
        expect(store.findById("a")!.body).toBe("A new body");
        expect([...store.getVector(created!.label)!]).toEqual([0, 1, 0]);
      }),
    );

    it(
      "keeps the stored vector on a metadata-only write, and refuses a new article without one",
      withStore(async (store) => {
        await store.writeArticles([write(article("a"), new Float32Array([0, 0, 1]))]);
        const [outcome] = await store.writeArticles([write(article("a", { topics: ["sports"] }), null)]);
        expect(outcome!.status).toBe("updated");
        expect(store.findById("a")!.topics).toEqual(["sports"]);
        expect([...store.getVector(store.findById("a")!.label)!]).toEqual([0, 0, 1]);
        await expect(Promise.resolve().then(() => store.writeArticles([write(article("new"), null)]))).rejects.toThrow(/"new"/);
        expect(store.findById("new")).toBeNull();
      }),
    );

    it(
      "applies a batch in order: the last write of an id is what is stored",
      withStore(async (store) => {
        const outcomes = await store.writeArticles([write(article("a")), write(article("a", { title: "Second" }), new Float32Array([0, 1, 0]))]);
        expect(outcomes.map((outcome) => outcome.status)).toEqual(["created", "updated"]);
        expect(store.findById("a")!.title).toBe("Second");
        expect(store.count()).toBe(1);
      }),
    );

    it(
      "deletes by id, says which existed, and logs every change in order",
      withStore(async (store) => {
        await store.writeArticles([write(article("a")), write(article("b")), write(article("c"))]);
        const labelB = store.findById("b")!.label;
        const before = store.latestSeq();
        const deleted = await store.deleteArticles(["b", "missing"]);
        expect(deleted.map((item) => [item.id, item.label])).toEqual([["b", labelB]]);
        expect(await store.deleteArticle("missing")).toBeNull();
        expect(store.findById("b")).toBeNull();
        expect(store.count()).toBe(2);
        expect(store.latestSeq()).toBeGreaterThan(before);
        const changes = store.listChangesSince(0);
        expect(changes.find((change) => change.label === labelB)).toMatchObject({ kind: "delete" });
        expect(changes.map((change) => change.seq)).toEqual([...changes.map((change) => change.seq)].sort((x, y) => x - y));
        expect(store.listChangesSince(store.latestSeq())).toEqual([]);
      }),
    );

    it(
      "lists summaries that match the stored articles without bodies",
      withStore(async (store) => {
        await store.writeArticles([write(article("a", { topics: ["europe", "politics"] })), write(article("b"))]);
        const expected = [...store.listArticles()].map(({ body: _body, source: _source, ...summary }) => summary);
        expect([...store.listSummaries()]).toEqual(expected);
        expect([...store.listVectors()].map((item) => item.label)).toEqual(expected.map((item) => item.label));
      }),
    );

    it(
      "pins a model and refuses writes embedded with another one",
      withStore(async (store) => {
        expect(store.getModelPin()).toBeNull();
        await store.setModelPin({ modelId: "test/model", dimensions: 3 });
        expect(store.getModelPin()).toEqual({ modelId: "test/model", dimensions: 3 });
        await expect(Promise.resolve().then(() => store.writeArticles([write(article("a"))], "other/model"))).rejects.toThrow(
          /switched from model "other\/model" to "test\/model"/,
        );
        expect(store.findById("a")).toBeNull();
        expect((await store.writeArticles([write(article("a"))], "test/model"))[0]!.status).toBe("created");
      }),
    );

    it(
      "keeps the display fields and says unchanged only when they match too",
      withStore(async (store) => {
        const display = { imageUrl: "https://example.com/a.jpg", section: "World", author: "A. Writer" };
        await store.writeArticles([write(article("a", display))]);
        expect(store.findById("a")).toMatchObject(display);
        expect((await store.writeArticles([write(article("a", display))]))[0]!.status).toBe("unchanged");
        expect((await store.writeArticles([write(article("a", { ...display, section: "Europe" }), null)]))[0]!.status).toBe("updated");
        expect(store.findById("a")!.section).toBe("Europe");
      }),
    );

    it(
      "gives a URL to one article: another's is refused naming its owner, a URL let go of can be taken",
      withStore(async (store) => {
        await store.writeArticles([write(article("a", { url: "https://News.example/story?utm_source=x" }))]);
        expect(store.findIdByUrl("https://news.example/story")).toBe("a");
        await expect(Promise.resolve().then(() => store.writeArticles([write(article("b", { url: "https://news.example/story/" }))]))).rejects.toMatchObject({
          code: "url_conflict",
          details: { conflicting_id: "a" },
        });
        expect(store.findById("b")).toBeNull();
        // one batch: a moves to another URL first, then b takes a's old one
        const outcomes = await store.writeArticles([
          write(article("a", { url: "https://news.example/moved" }), null),
          write(article("b", { url: "https://news.example/story" })),
        ]);
        expect(outcomes.map((outcome) => outcome.status)).toEqual(["updated", "created"]);
        expect(store.findIdByUrl("https://news.example/story")).toBe("b");
        expect(store.findIdByUrl("https://news.example/moved")).toBe("a");
      }),
    );
  });
}
