import { existsSync } from "node:fs";
import { join } from "node:path";
import Database from "better-sqlite3";
import pino from "pino";
import { afterAll, describe, expect, it } from "vitest";
import { mulberry32 } from "../../src/core/seeded-random.ts";
import type { DocumentIndex } from "../../src/engine/document-index.ts";
import { documentIndexFileName, readDocumentIndexFile, saveDocumentIndex } from "../../src/engine/document-index-file.ts";
import { LiveIndexes } from "../../src/engine/live-indexes.ts";
import { loadIndexes } from "../../src/engine/load-indexes.ts";
import { openDocumentIndex } from "../../src/engine/open-document-index.ts";
import { WriteQueue } from "../../src/engine/write-queue.ts";
import { SqliteArticleStore } from "../../src/store/sqlite-article-store.ts";
import { article, write } from "../store/contracts/contract-fixtures.ts";
import { useTempDir } from "../support/temp-dir.ts";

const vocabulary = Array.from(
  { length: 120 },
  (_, i) => `${["ferry", "council", "storm", "budget", "harbour", "strike"][i % 6]}${String.fromCharCode(97 + (i % 26))}${i}`,
);

/** An article of seeded words over a skewed vocabulary (so most words are shared, as in news). */
function textArticle(id: string, random: () => number) {
  const words = (count: number) => Array.from({ length: count }, () => vocabulary[Math.floor(random() * random() * vocabulary.length)]!).join(" ");
  return write(article(id, { title: words(6), body: `${words(40)}. ${words(30)}.` }), new Float32Array([random(), random(), random()]));
}

/** A store of `count` such articles in a fresh directory, closed after the file. */
async function storeWith(count: number, seed: number): Promise<{ dataDir: string; store: SqliteArticleStore; random: () => number }> {
  const dataDir = useTempDir("kindred-open-documents-");
  const store = SqliteArticleStore.open(dataDir);
  afterAll(() => store.close());
  const random = mulberry32(seed);
  await store.writeArticles(Array.from({ length: count }, (_, i) => textArticle(`a${i}`, random)));
  return { dataDir, store, random };
}

function capturingLogger(): { logger: pino.Logger; warnings: string[] } {
  const warnings: string[] = [];
  const logger = pino({ level: "warn" }, { write: (line: string) => warnings.push(line) });
  return { logger, warnings };
}

function labelsOf(store: SqliteArticleStore): number[] {
  return [...store.listSummaries()].map((summary) => summary.label);
}

/** Each article's 8 best by the index, with their scores. */
function answers(documents: DocumentIndex): { label: number; found: { label: number; score: number }[] }[] {
  return documents.labels().map((label) => ({ label, found: documents.search(documents.termsOf(label)!, 8, (other) => other !== label) }));
}

function expectSameAnswers(actual: DocumentIndex, expected: DocumentIndex): void {
  expect(actual.labels()).toEqual(expected.labels());
  const want = answers(expected);
  answers(actual).forEach(({ label, found }, i) => {
    expect(
      found.map((hit) => hit.label),
      `label ${label}`,
    ).toEqual(want[i]!.found.map((hit) => hit.label));
    found.forEach((hit, j) => expect(Math.abs(hit.score - want[i]!.found[j]!.score)).toBeLessThan(1e-12));
  });
}

describe("opening the document index from its saved file", () => {
  it("loads the file as saved, and brings it forward by the change log to answer as one rebuilt from the store", async () => {
    const { dataDir, store, random } = await storeWith(80, 1);
    const { logger, warnings } = capturingLogger();
    const first = openDocumentIndex(store, labelsOf(store), { dataDir, logger });
    expect(first.source).toBe("rebuilt");
    expect(warnings.join("")).toMatch(/no saved document index/);
    saveDocumentIndex(dataDir, first.documents, { seq: store.latestSeq(), weighting: first.documents.weighting });

    const second = openDocumentIndex(store, labelsOf(store), { dataDir, logger });
    expect(second.source).toBe("loaded");
    expect(JSON.stringify(answers(second.documents))).toBe(JSON.stringify(answers(first.documents)));

    // Rewrites with new words, deletes and new articles after the save.
    await store.writeArticles([...[3, 9, 27, 40].map((i) => textArticle(`a${i}`, random)), ...[80, 81, 82].map((i) => textArticle(`a${i}`, random))]);
    await store.deleteArticles(["a5", "a6", "a70"]);
    const replayed = openDocumentIndex(store, labelsOf(store), { dataDir, logger });
    expect(replayed.source).toBe("replayed");
    const rebuilt = openDocumentIndex(store, labelsOf(store), { dataDir: useTempDir("kindred-no-file-"), logger });
    expect(rebuilt.source).toBe("rebuilt");
    expect(replayed.documents.size()).toBe(80);
    expectSameAnswers(replayed.documents, rebuilt.documents);
  });

  it("rebuilds, with a warning, a file older than the retained change log or saved from another store", async () => {
    const { dataDir, store } = await storeWith(30, 2);
    const other = await storeWith(30, 3);
    const { logger, warnings } = capturingLogger();
    const otherDocuments = openDocumentIndex(other.store, labelsOf(other.store), { dataDir: other.dataDir, logger }).documents;
    // The same labels and count, other texts: caught by the vectors of the articles it samples.
    saveDocumentIndex(dataDir, otherDocuments, { seq: store.latestSeq(), weighting: otherDocuments.weighting });
    const foreign = openDocumentIndex(store, labelsOf(store), { dataDir, logger });
    expect(foreign.source).toBe("rebuilt");
    expect(warnings.at(-1)).toMatch(/disagrees with the store after replay: the terms of label \d+ differ/);

    saveDocumentIndex(dataDir, foreign.documents, { seq: store.latestSeq() - 5, weighting: foreign.documents.weighting });
    // What another process's save leaves once the log before it is pruned.
    const db = new Database(join(dataDir, "kindred.sqlite"));
    db.prepare("INSERT INTO meta(key, value) VALUES ('pruned_through', ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value").run(
      String(store.latestSeq() - 2),
    );
    db.close();
    const old = openDocumentIndex(store, labelsOf(store), { dataDir, logger });
    expect(old.source).toBe("rebuilt");
    expect(warnings.at(-1)).toMatch(/older than the retained change log/);
    expectSameAnswers(old.documents, foreign.documents);
  });

  it("is saved with the graph: by a start that rebuilds the graph, and by the engine's saves as writes go on", async () => {
    const { dataDir, store, random } = await storeWith(40, 4);
    const options = { dataDir, modelId: "test-model", dimensions: 3, hnsw: { m: 16, efConstruction: 100, efSearch: 64 }, logger: capturingLogger().logger };
    const first = loadIndexes(store, options);
    expect([first.graphSource, first.documentsSource, first.documentsSaved]).toEqual(["rebuilt", "rebuilt", true]);
    const savedSeq = () => {
      const saved = readDocumentIndexFile(dataDir, first.documents.weighting);
      return saved.status === "loaded" ? saved.seq : saved.status;
    };
    expect(savedSeq()).toBe(store.latestSeq());
    expect(loadIndexes(store, options).documentsSource).toBe("loaded");

    const live = new LiveIndexes(store, { ...options, compaction: { deletedFraction: 0.5, minDeleted: 1000 } }, new WriteQueue(), {
      recordChange() {},
      clear() {},
    });
    await store.writeArticles([textArticle("a1", random), textArticle("a99", random)]);
    await live.sync();
    await live.saveGraphInBackground();
    expect(savedSeq()).toBe(store.latestSeq());
    await store.deleteArticles(["a2"]);
    await live.sync();
    live.close();
    expect(savedSeq()).toBe(store.latestSeq());
    const reopened = loadIndexes(store, options);
    expect(reopened.documentsSource).toBe("loaded");
    expectSameAnswers(reopened.documents, live.current.documents);
    expect(existsSync(join(dataDir, documentIndexFileName))).toBe(true);
  });
});
