import { join } from "node:path";
import Database from "better-sqlite3";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Article } from "../../src/core/article.ts";
import { buildEmbedPassages } from "../../src/core/embed-text.ts";
import { cosine } from "../../src/core/vector-math.ts";
import { passageKey } from "../../src/embed/passage-vector-cache.ts";
import { USE_LITE_MODEL_ID } from "../../src/embed/use-lite/use-lite-constants.ts";
import { databaseFileName } from "../../src/store/sqlite-article-store.ts";
import { SqlitePassageVectors } from "../../src/store/sqlite-passage-vectors.ts";
import { CountingEmbedder, openTestEngine } from "../support/open-test-engine.ts";
import { useTempDir } from "../support/temp-dir.ts";

/** Ten paragraphs of distinct sentences: with the `all` plan, a lead and ten 60-word chunks. */
function longArticle(id: string, edited: Record<number, string> = {}): Article {
  const paragraphs = Array.from(
    { length: 10 },
    (_, paragraph) =>
      edited[paragraph] ??
      Array.from(
        { length: 6 },
        (_, sentence) =>
          `Paragraph ${paragraph} sentence ${sentence}: the harbour authority in district ${paragraph * 7 + sentence} reported new cargo figures.`,
      ).join(" "),
  );
  return {
    id,
    title: "Harbour authority reports cargo figures",
    body: paragraphs.join("\n"),
    url: `https://harbour.example/${id}`,
    topics: [],
    publishedAt: "2025-03-01T00:00:00Z",
    publishedMs: Date.parse("2025-03-01T00:00:00Z"),
    lang: "en",
    source: null,
  };
}

const dataDir = useTempDir("kindred-passages-");
let embedder: CountingEmbedder;

// The float graph: its vectors do not depend on the texts batched with them, so a vector made
// from remembered passages must equal a fresh embedding's exactly (the int8 default quantises
// activations per batch); the last test then writes the int8 graph's rows over the float ones.
beforeAll(async () => {
  embedder = await CountingEmbedder.start(USE_LITE_MODEL_ID);
});

afterAll(async () => {
  await embedder.close();
});

function passageRows(articleId?: string): number {
  const db = new Database(join(dataDir, databaseFileName), { readonly: true });
  try {
    const row =
      articleId === undefined
        ? db.prepare("SELECT count(*) AS n FROM passage_vectors").get()
        : db.prepare("SELECT count(*) AS n FROM passage_vectors WHERE article_id = ?").get(articleId);
    return (row as { n: number }).n;
  } finally {
    db.close();
  }
}

describe("passage vectors keyed by content hash", () => {
  it("re-embeds only the passage an edit changed, reuses a copy's passages, and drops an article's passages with it", async () => {
    const { engine, store, close } = await openTestEngine(dataDir, embedder, { embedPassages: "all", model: USE_LITE_MODEL_ID });
    const vectorOf = (id: string) => store.getVector(engine.getEntry(id)!.label)!;
    try {
      const original = longArticle("harbour-1");
      const passages = buildEmbedPassages(original, "all");
      expect(passages.length).toBeGreaterThanOrEqual(8);

      await engine.writeArticles([original]);
      expect(embedder.embeddedTexts).toBe(passages.length);
      expect(passageRows("harbour-1")).toBe(passages.length);
      const before = vectorOf("harbour-1");

      // One paragraph in the middle rewritten: the chunks over it differ, every other passage is the same text.
      const edit = longArticle("harbour-1", {
        4: "Paragraph eight was rewritten after the strike ended and ships queued again outside the port. ".repeat(4).trim(),
      });
      const changed = buildEmbedPassages(edit, "all").filter((text) => !passages.includes(text));
      expect(changed.length).toBeGreaterThan(0);
      expect(changed.length).toBeLessThan(passages.length / 2);
      embedder.embeddedTexts = 0;
      await engine.writeArticles([edit]);
      expect(embedder.embeddedTexts).toBe(changed.length);
      expect(passageRows("harbour-1")).toBe(buildEmbedPassages(edit, "all").length);

      // Writing the original back embeds only the passages the edit had replaced.
      embedder.embeddedTexts = 0;
      await engine.writeArticles([original]);
      expect(embedder.embeddedTexts).toBe(passages.filter((text) => !buildEmbedPassages(edit, "all").includes(text)).length);
      // The vector from remembered passages is the one a fresh embedding gave.
      expect(cosine(vectorOf("harbour-1"), before)).toBeGreaterThan(0.99999);

      // A copy under another id (a wire story on a second site) reuses every passage.
      embedder.embeddedTexts = 0;
      await engine.writeArticles([{ ...original, id: "harbour-copy", url: null }]);
      expect(embedder.embeddedTexts).toBe(0);
      expect(passageRows("harbour-copy")).toBe(passages.length);

      // A write the store refuses (its URL belongs to another article) leaves no passages behind.
      const refused = longArticle("harbour-refused", {
        2: "A different second paragraph about tugboats, pilots and the night shift at the container terminal. ".repeat(4).trim(),
      });
      await expect(engine.writeArticles([{ ...refused, url: original.url }])).rejects.toThrow();
      expect(passageRows("harbour-refused")).toBe(0);

      await engine.deleteArticle("harbour-1");
      expect(passageRows("harbour-1")).toBe(0);
      expect(passageRows("harbour-copy")).toBe(passages.length);
    } finally {
      await close();
    }
  });

  it("keeps one model's passages, and never waits for another writer's lock (what waited is written next time)", () => {
    const cache = SqlitePassageVectors.open(dataDir);
    const other = new Database(join(dataDir, databaseFileName));
    try {
      const vector = new Float32Array(512).fill(1 / Math.sqrt(512));
      const key = passageKey("google/use-lite-int8", "some passage");
      cache.remember("google/use-lite-int8", [{ articleId: "harbour-copy", passages: [{ key, vector }] }]);
      // The float model's rows went: only the int8 model's one row is left.
      expect(cache.size()).toBe(1);
      expect(cache.find([key, passageKey("google/use-lite", "some passage")]).size).toBe(1);

      other.prepare("BEGIN IMMEDIATE").run();
      const started = performance.now();
      const waiting = passageKey("google/use-lite-int8", "waiting passage");
      cache.remember("google/use-lite-int8", [{ articleId: "harbour-waiting", passages: [{ key: waiting, vector }] }]);
      expect(performance.now() - started).toBeLessThan(1_000);
      expect(cache.find([waiting]).size).toBe(0);
      other.prepare("COMMIT").run();

      cache.remember("google/use-lite-int8", []);
      expect(cache.find([waiting]).size).toBe(1);
      expect(cache.size()).toBe(2);
    } finally {
      other.close();
      cache.close();
    }
  });
});
