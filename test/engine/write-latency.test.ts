import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { defaultModelId } from "../../src/config/config.ts";
import { defaults } from "../../src/config/defaults.ts";
import type { Article } from "../../src/core/article.ts";
import type { Embedder, EmbedRole } from "../../src/embed/embedder.ts";
import { inlinePrepareMaxChars } from "../../src/engine/article-writes.ts";
import { KindredEngine } from "../../src/engine/kindred-engine.ts";
import { InlineStoreWriter, type PreparedArticle, type StoreWriter } from "../../src/engine/store-writer.ts";
import { silentLogger } from "../../src/log/logger.ts";
import type { ArticleWrite, WriteOutcome } from "../../src/store/article-store.ts";
import { SqliteArticleStore } from "../../src/store/sqlite-article-store.ts";
import { CountingEmbedder } from "../support/open-test-engine.ts";
import { copyDataDir } from "../support/temp-dir.ts";

const article = (id: string, body: string): Article => ({
  id,
  title: `Harbour council ${id}`,
  body,
  url: null,
  topics: [],
  publishedAt: null,
  publishedMs: null,
  lang: "en",
  source: null,
});

/** A store writer whose thread is busy: `prepare` answers only once the test releases it (as behind another write's transaction). */
class BusyStoreWriter extends InlineStoreWriter {
  prepareCalls = 0;
  #release: () => void = () => {};
  readonly #released = new Promise<void>((resolve) => (this.#release = resolve));

  override async prepare(modelId: string, articles: readonly Article[]): Promise<PreparedArticle[]> {
    this.prepareCalls++;
    await this.#released;
    return super.prepare(modelId, articles);
  }

  release(): void {
    this.#release();
  }
}

/** A store writer whose first transaction waits until the test releases it (a slow write holding the queue), recording each transaction's size. */
class GatedStoreWriter extends InlineStoreWriter {
  readonly transactions: number[] = [];
  #release: () => void = () => {};
  readonly #released = new Promise<void>((resolve) => (this.#release = resolve));

  override async writeArticles(writes: readonly ArticleWrite[], modelId: string): Promise<WriteOutcome[]> {
    this.transactions.push(writes.length);
    if (this.transactions.length === 1) await this.#released;
    return super.writeArticles(writes, modelId);
  }

  release(): void {
    this.#release();
  }
}

const within = <T>(ms: number, work: Promise<T>) =>
  Promise.race([work, new Promise<"still waiting">((resolve) => setTimeout(() => resolve("still waiting"), ms))]);

describe("what a write waits for", () => {
  let embedder: CountingEmbedder;
  beforeAll(async () => {
    embedder = await CountingEmbedder.start();
  });
  afterAll(async () => {
    await embedder.close();
  });

  /** The test's embedder, counting the texts it has finished embedding. */
  const finishing = () => {
    const counter = { done: 0 };
    const wrapped: Embedder = {
      modelId: embedder.modelId,
      dimensions: embedder.dimensions,
      embed: async (texts: readonly string[], role?: EmbedRole) => {
        const vectors = await embedder.embed(texts, role);
        counter.done += texts.length;
        return vectors;
      },
      close: async () => {},
    };
    return { counter, wrapped };
  };
  const until = async (condition: () => boolean) => {
    while (!condition()) await new Promise((resolve) => setTimeout(resolve, 5));
  };

  /** An engine on a copy of the demo slice, writing through the writer `makeWriter` gives over its store. */
  const openWith = <W extends StoreWriter>(makeWriter: (store: SqliteArticleStore) => W, model: Embedder = embedder) => {
    const dataDir = copyDataDir(inject("demoIndexDir"));
    const store = SqliteArticleStore.open(dataDir);
    const writer = makeWriter(store);
    const engine = new KindredEngine(store, () => Promise.resolve(model), {
      dataDir,
      modelId: defaultModelId,
      dimensions: 512,
      // The demo index was built with the default M: the same M loads its graph instead of rebuilding it.
      hnsw: { m: defaults.hnswM, efConstruction: 200, efSearch: 128 },
      logger: silentLogger(),
      writer,
      recallCheck: { queries: 0, k: 10, floor: 0 },
    });
    return { engine, writer };
  };

  it("prepares a short article on the calling thread, not behind the store writer's thread", async () => {
    const { engine, writer } = openWith((store) => new BusyStoreWriter(store));
    try {
      const written = engine.writeArticles([article("short-1", "The council approved the ferry budget after a long debate.")]);
      // Generous for a loaded 2-core machine: the model embeds one sentence; before, the write waited for the busy thread forever.
      const outcome = await within(20_000, written);
      expect(outcome).not.toBe("still waiting");
      expect(writer.prepareCalls).toBe(0);
      expect(engine.getEntry("short-1")?.id).toBe("short-1");
    } finally {
      writer.release();
      engine.close();
    }
  });

  it("still hands a long article's hashing and passages to the store writer's thread", async () => {
    const { engine, writer } = openWith((store) => new BusyStoreWriter(store));
    try {
      const sentence = "The council approved the ferry budget after a long debate about tolls and moorings. ";
      const body = sentence.repeat(Math.ceil(inlinePrepareMaxChars / sentence.length) + 1);
      const written = engine.writeArticles([article("long-1", body)]);
      expect(await within(200, written)).toBe("still waiting");
      expect(writer.prepareCalls).toBe(1);
      writer.release();
      expect((await written)[0]!.status).toBe("created");
    } finally {
      writer.release();
      engine.close();
    }
  });

  it("stores writes that wait for the queue together, in one transaction", async () => {
    const { counter, wrapped } = finishing();
    const { engine, writer } = openWith((store) => new GatedStoreWriter(store), wrapped);
    try {
      const first = engine.writeArticles([article("group-0", "The council approved the ferry budget.")]);
      await until(() => writer.transactions.length === 1);
      const second = engine.writeArticles([article("group-1", "Dredging of the harbour mouth starts in May.")]);
      const third = engine.writeArticles([
        article("group-2", "The lighthouse will be restored by volunteers."),
        article("group-3", "Tugboat crews voted to strike."),
      ]);
      // Both embedded, and so waiting for the queue the first write holds.
      await until(() => counter.done >= 4);
      await new Promise((resolve) => setTimeout(resolve, 100));
      writer.release();
      expect((await first).map((outcome) => outcome.status)).toEqual(["created"]);
      expect((await second).map((outcome) => outcome.id)).toEqual(["group-1"]);
      expect((await third).map((outcome) => outcome.id)).toEqual(["group-2", "group-3"]);
      // Before: one transaction per write, [1, 1, 2].
      expect(writer.transactions).toEqual([1, 3]);
      for (const id of ["group-0", "group-1", "group-2", "group-3"]) expect(engine.getEntry(id)?.id).toBe(id);
    } finally {
      writer.release();
      engine.close();
    }
  });

  it("stores the writes of a group the store refuses one by one, so only the faulty one fails", async () => {
    const { counter, wrapped } = finishing();
    const { engine, writer } = openWith((store) => new GatedStoreWriter(store), wrapped);
    try {
      const taken = engine.getArticle(engine.listIds().find((id) => engine.getArticle(id)?.url !== null)!)!;
      const first = engine.writeArticles([article("refused-0", "The council approved the ferry budget.")]);
      await until(() => writer.transactions.length === 1);
      const clashing = engine.writeArticles([{ ...article("refused-1", "Dredging of the harbour mouth starts in May."), url: taken.url }]);
      const fine = engine.writeArticles([article("refused-2", "The lighthouse will be restored by volunteers.")]);
      await until(() => counter.done >= 3);
      await new Promise((resolve) => setTimeout(resolve, 100));
      writer.release();
      await first;
      await expect(clashing).rejects.toMatchObject({ code: "url_conflict" });
      expect((await fine)[0]!.status).toBe("created");
      expect(writer.transactions).toEqual([1, 2, 1, 1]);
      expect(engine.getEntry("refused-1")).toBeUndefined();
      expect(engine.getArticle(taken.id)?.url).toBe(taken.url);
    } finally {
      writer.release();
      engine.close();
    }
  });
});
