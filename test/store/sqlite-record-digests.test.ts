import { join } from "node:path";
import Database from "better-sqlite3";
import { describe, expect, it } from "vitest";
import type { Article } from "../../src/core/article.ts";
import { prepareArticle } from "../../src/engine/store-writer.ts";
import { SqliteArticleStore } from "../../src/store/sqlite-article-store.ts";
import { SqliteRecordDigests } from "../../src/store/sqlite-record-digests.ts";
import { useTempDir } from "../support/temp-dir.ts";

const modelId = "google/use-lite";

describe("record digests in the SQLite store", () => {
  const dataDir = join(useTempDir(), "index");
  const article: Article = {
    id: "r1",
    title: "Storm closes the harbour",
    body: "Ferries stayed in port on Monday.",
    url: null,
    topics: [],
    publishedAt: null,
    publishedMs: null,
    lang: "en",
    source: null,
    imageUrl: null,
    section: null,
    author: null,
  };
  const { textHash, embedHash } = prepareArticle(modelId, article, "selected");
  const store = SqliteArticleStore.open(dataDir);
  store.setModelPin({ modelId, dimensions: 4 });
  const [outcome] = store.writeArticles([{ article, textHash, embedHash, vector: new Float32Array([1, 0, 0, 0]) }]);
  store.close();

  it("writes an entry only while its row is the version remembered", () => {
    const digests = SqliteRecordDigests.open(dataDir, "pipeline");
    try {
      digests.remember("r1", "stale-seq", { seq: outcome!.seq + 1, embedHash });
      digests.remember("r1", "stale-hash", { seq: outcome!.seq, embedHash: "another" });
      digests.flush();
      expect(digests.storedIdsOf(["stale-seq", "stale-hash"])).toEqual(new Map());
      digests.remember("r1", "current", { seq: outcome!.seq, embedHash });
      digests.flush();
      expect(digests.storedIdsOf(["current", "unknown"])).toEqual(new Map([["current", "r1"]]));
    } finally {
      digests.close();
    }
    // Under another pipeline nothing answers.
    const other = SqliteRecordDigests.open(dataDir, "another pipeline");
    try {
      expect(other.storedIdsOf(["current"])).toEqual(new Map());
    } finally {
      other.close();
    }
  });

  it("in the middle of a run, leaves entries waiting rather than wait for a write lock another connection holds", () => {
    const digests = SqliteRecordDigests.open(dataDir, "pipeline");
    const writer = new Database(join(dataDir, "kindred.sqlite"));
    try {
      digests.remember("r1", "later", { seq: outcome!.seq, embedHash });
      writer.exec("BEGIN IMMEDIATE");
      const started = Date.now();
      digests.flush({ whenFree: true });
      // Well under the connection's busy timeout (5 s): it did not wait for the lock.
      expect(Date.now() - started).toBeLessThan(2_000);
      writer.exec("ROLLBACK");
      expect(digests.storedIdsOf(["later"])).toEqual(new Map());
      digests.flush({ whenFree: true });
      expect(digests.storedIdsOf(["later"])).toEqual(new Map([["later", "r1"]]));
    } finally {
      writer.close();
      digests.close();
    }
  });

  it("forgets an article's entry when its row is written again or deleted", () => {
    const digests = SqliteRecordDigests.open(dataDir, "pipeline");
    try {
      expect(digests.storedIdsOf(["later"]).size).toBe(1);
      const reopened = SqliteArticleStore.open(dataDir);
      const changed = { ...article, section: "Weather" };
      reopened.writeArticles([{ article: changed, ...pick(prepareArticle(modelId, changed, "selected")), vector: null }]);
      expect(digests.storedIdsOf(["later"]).size).toBe(0);
      const [rewritten] = reopened.writeArticles([{ article, textHash, embedHash, vector: null }]);
      digests.remember("r1", "again", { seq: rewritten!.seq, embedHash });
      digests.flush();
      expect(digests.storedIdsOf(["again"]).size).toBe(1);
      reopened.deleteArticles(["r1"]);
      reopened.close();
      expect(digests.storedIdsOf(["again"]).size).toBe(0);
    } finally {
      digests.close();
    }
  });
});

function pick({ textHash, embedHash }: { textHash: string; embedHash: string }) {
  return { textHash, embedHash };
}
