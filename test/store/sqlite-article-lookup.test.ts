import { join } from "node:path";
import { describe, expect, it } from "vitest";
import type { Article } from "../../src/core/article.ts";
import { prepareArticle } from "../../src/engine/store-writer.ts";
import { createUnchangedCheck } from "../../src/indexer/unchanged-articles.ts";
import { SqliteArticleLookup } from "../../src/store/sqlite-article-lookup.ts";
import { SqliteArticleStore } from "../../src/store/sqlite-article-store.ts";
import { useTempDir } from "../support/temp-dir.ts";

const modelId = "google/use-lite";

describe("stored articles looked up by id for a re-index", () => {
  const dataDir = join(useTempDir(), "index");
  const article = (id: string, extra: Partial<Article> = {}): Article => ({
    id,
    title: `Storm ${id} closes the harbour`,
    body: `Ferries stayed in port on Monday as the storm ${id} reached the coast.`,
    url: `https://news.example/${id}`,
    topics: ["weather", "shipping"],
    publishedAt: "2025-03-02T10:00:00Z",
    publishedMs: Date.parse("2025-03-02T10:00:00Z"),
    lang: "en",
    source: "Example News",
    imageUrl: null,
    section: "Regional",
    author: null,
    ...extra,
  });
  const stored = ["a1", "a2", "a3"].map((id) => article(id));
  const store = SqliteArticleStore.open(dataDir);
  store.setModelPin({ modelId, dimensions: 4 });
  const outcomes = store.writeArticles(
    stored.map((item) => ({ article: item, ...pick(prepareArticle(modelId, item, "selected")), vector: new Float32Array([1, 0, 0, 0]) })),
  );
  store.close();
  /** The version a1 was stored at, as the unchanged check gives it. */
  const a1Version = { seq: outcomes[0]!.seq, embedHash: prepareArticle(modelId, stored[0]!, "selected").embedHash };

  it("reads a batch of stored articles in one lookup, as the store holds them; ids not stored are absent", () => {
    const lookup = SqliteArticleLookup.open(dataDir);
    try {
      const found = lookup.findByIds(["a3", "missing", "a1"]);
      expect([...found.keys()].sort()).toEqual(["a1", "a3"]);
      expect(found.get("a1")).toEqual({ ...stored[0], ...pick(prepareArticle(modelId, stored[0]!, "selected")), seq: outcomes[0]!.seq });
    } finally {
      lookup.close();
    }
  });

  it("counts unchanged only an article equal in every field, its text to the letter", () => {
    const lookup = SqliteArticleLookup.open(dataDir);
    try {
      const unchangedAmong = createUnchangedCheck((ids) => lookup.findByIds(ids), modelId, "selected");
      const batch = [
        stored[0]!,
        article("a2", { title: "STORM a2 CLOSES THE HARBOUR" }), // same text hash (case folded), not the same text
        article("a3", { topics: ["shipping", "weather"] }),
        article("a4"),
        article("a1", { section: null }),
      ];
      expect(unchangedAmong(batch)).toEqual([a1Version, null, null, null, null]);
    } finally {
      lookup.close();
    }
  });

  it("counts changed an article differing from the stored one in any one stored field", () => {
    const lookup = SqliteArticleLookup.open(dataDir);
    try {
      const unchangedAmong = createUnchangedCheck((ids) => lookup.findByIds(ids), modelId, "selected");
      const changes: Partial<Article>[] = [
        { title: "Storm a1 closes the harbour again" },
        { body: "Ferries stayed in port on Monday as the storm a1 reached the coast. " },
        { url: "https://news.example/a1?page=2" },
        { url: null },
        { topics: ["weather"] },
        { topics: ["weather", "shipping", "ports"] },
        { publishedAt: "2025-03-02T10:00:01Z", publishedMs: Date.parse("2025-03-02T10:00:01Z") },
        { publishedAt: null, publishedMs: null },
        { lang: "de" },
        { lang: null },
        { source: "Another Paper" },
        { imageUrl: "https://news.example/a1.jpg" },
        { section: "National" },
        { author: "A. Writer" },
      ];
      expect(unchangedAmong([stored[0]!, ...changes.map((change) => article("a1", change))])).toEqual([a1Version, ...changes.map(() => null)]);
      // Another model: the stored vector is not current.
      expect(createUnchangedCheck((ids) => lookup.findByIds(ids), "google/use-lite-int8", "selected")([stored[0]!])).toEqual([null]);
    } finally {
      lookup.close();
    }
  });
});

function pick({ textHash, embedHash }: { textHash: string; embedHash: string }) {
  return { textHash, embedHash };
}
