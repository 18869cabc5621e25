import { join } from "node:path";
import Database from "better-sqlite3";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import type { Article } from "../../src/core/article.ts";
import type { OpenedEngine } from "../../src/engine/open-engine.ts";
import { databaseFileName } from "../../src/store/sqlite-article-store.ts";
import { SqliteWriteJournal, writeJournalFileName } from "../../src/store/sqlite-write-journal.ts";
import { hegsethId, pentagonDenialId } from "../support/demo-slice.ts";
import { CountingEmbedder, openTestEngine } from "../support/open-test-engine.ts";
import { copyDataDir } from "../support/temp-dir.ts";

/**
 * The journal of accepted writes (store/sqlite-write-journal.ts) is a database file of its own,
 * committed apart from the store: a `kill -9` can land after an operation reached the store and
 * before its journal rows were removed. The next start replays those rows onto a store that
 * already holds them: nothing may be lost, and nothing may be applied again in a way a reader
 * sees (a change-log entry is what every reader process replays).
 */
const article = (id: string, title: string, body: string): Article => ({
  id,
  title,
  body,
  url: null,
  topics: ["journal replay"],
  publishedAt: null,
  publishedMs: null,
  lang: null,
  source: null,
});

async function untilJournalEmpty(opened: OpenedEngine): Promise<void> {
  for (const deadline = Date.now() + 60_000; Date.now() < deadline; ) {
    if (opened.engine.journaledWriteCount() === 0 && opened.engine.pendingAcceptedArticles === 0) return;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  throw new Error("journal not empty after 60 s");
}

describe("replaying the accepted-writes journal", () => {
  let embedder: CountingEmbedder;
  beforeAll(async () => {
    embedder = await CountingEmbedder.start();
  });
  afterAll(() => embedder.close());

  it("replays rows a crash left after the store's commit without changing what readers see, and applies an acknowledged delete the crash cut off", async () => {
    const dataDir = copyDataDir(inject("demoIndexDir"));
    const stored = article("replay-stored", "Harvest delayed by weeks of rain", "Farmers in the north reported a late harvest after weeks of rain.");
    const rewritten = article("replay-rewritten", "Port strike ends after talks", "Dock workers returned after a deal on pay and hours was reached.");
    // First life: the operations reach the store; their journal rows stay, as a kill before the clean-up leaves them.
    let opened = await openTestEngine(dataDir, embedder);
    await opened.engine.writeArticles([stored, rewritten]);
    await opened.engine.deleteArticles([pentagonDenialId]);
    const labelOf = (id: string) => opened.store.findById(id)!.label;
    const labels = { stored: labelOf(stored.id), rewritten: labelOf(rewritten.id), undeleted: labelOf(hegsethId) };
    await opened.close();
    const journal = SqliteWriteJournal.open(dataDir);
    journal.append([stored], Date.now());
    journal.appendDeletes([pentagonDenialId], Date.now());
    // Deleted, then written again: both stored, neither row removed.
    journal.appendDeletes([rewritten.id], Date.now());
    journal.append([rewritten], Date.now());
    // Acknowledged, never applied: the kill came first.
    journal.appendDeletes([hegsethId], Date.now());
    journal.close();

    opened = await openTestEngine(dataDir, embedder);
    const seqBefore = opened.store.latestSeq();
    const embeddedBefore = embedder.embeddedTexts;
    expect(opened.engine.recoverAcceptedWrites()).toBe(5);
    await untilJournalEmpty(opened);

    const changes = opened.store.listChangesSince(seqBefore);
    expect(changes.map(({ label, kind }) => ({ label, kind }))).toEqual([{ label: labels.undeleted, kind: "delete" }]);
    expect(opened.engine.getArticle(stored.id)?.title).toBe(stored.title);
    expect(opened.engine.getArticle(rewritten.id)?.title).toBe(rewritten.title);
    expect(opened.engine.getArticle(pentagonDenialId)).toBeNull();
    expect(opened.engine.getArticle(hegsethId)).toBeNull();
    expect(embedder.embeddedTexts, "nothing embedded again").toBe(embeddedBefore);
    await opened.close();
  }, 120_000);

  it("moves rows an older kindred journaled in kindred.sqlite into the journal's file and replays them", async () => {
    const dataDir = copyDataDir(inject("demoIndexDir"));
    const accepted = article("replay-legacy", "Ferry service resumes", "The island ferry resumed after the storm passed and the harbour reopened.");
    // The layout before the journal had its own file: table accepted_writes in the main database.
    const db = new Database(join(dataDir, databaseFileName));
    db.exec("DROP TABLE IF EXISTS accepted_writes");
    db.exec(
      "CREATE TABLE accepted_writes (ack_seq INTEGER PRIMARY KEY AUTOINCREMENT, article_id TEXT NOT NULL, article TEXT NOT NULL, accepted_ms INTEGER NOT NULL)",
    );
    db.prepare("INSERT INTO accepted_writes(ack_seq, article_id, article, accepted_ms) VALUES (41, ?, ?, ?)").run(
      accepted.id,
      JSON.stringify(accepted),
      Date.now(),
    );
    db.close();

    const opened = await openTestEngine(dataDir, embedder);
    const moved = new Database(join(dataDir, writeJournalFileName), { readonly: true });
    expect(moved.prepare("SELECT ack_seq, article_id FROM accepted_writes").all()).toEqual([{ ack_seq: 41, article_id: accepted.id }]);
    moved.close();
    const main = new Database(join(dataDir, databaseFileName), { readonly: true });
    expect(main.prepare("SELECT name FROM sqlite_master WHERE name = 'accepted_writes'").get()).toBeUndefined();
    main.close();
    expect(opened.engine.recoverAcceptedWrites()).toBe(1);
    await untilJournalEmpty(opened);
    expect(opened.engine.getArticle(accepted.id)?.title).toBe(accepted.title);
    await opened.close();
  }, 120_000);
});
