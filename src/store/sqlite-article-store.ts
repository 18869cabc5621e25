import { mkdirSync } from "node:fs";
import { join } from "node:path";
import Database from "better-sqlite3";
import type { Article } from "../core/article.ts";
import { KindredError, vectorsOfOldModelError } from "../core/errors.ts";
import type { LexicalProfile } from "../core/related/lexical-profile.ts";
import type { TermStatistics } from "../core/related/query-terms.ts";
import { normalizeArticleUrl } from "../core/urls/normalize-article-url.ts";
import { toArticleColumns } from "./article-columns.ts";
import type {
  ArticleLog,
  ArticleStore,
  ArticleSummary,
  ArticleWrite,
  Change,
  LexicalStatistics,
  ModelPin,
  ModelStaging,
  ModelSwitchResult,
  StagedVector,
  StoredArticle,
  WriteOutcome,
} from "./article-store.ts";
import { schemaSql, schemaVersion } from "./schema.sql.ts";
import { addDisplayColumns } from "./sqlite-added-columns.ts";
import { prepareArticleStatements, toArticleSummary, toStoredArticle } from "./sqlite-article-rows.ts";
import { SqliteLexicon } from "./sqlite-lexicon.ts";
import { SqliteModelStaging } from "./sqlite-model-staging.ts";
import { SqliteWriteJournal } from "./sqlite-write-journal.ts";
import { decodeVector, encodeTypedArray } from "./typed-array-blobs.ts";
import { isUnchangedWrite } from "./unchanged-write.ts";
import { urlTakenError } from "./url-taken-error.ts";

/** Change-log entries kept after pruning, for followers of the log. */
const retainedChanges = 100_000;

/** The file name of the database inside the data directory. */
export const databaseFileName = "kindred.sqlite";

/**
 * The SQLite article store (better-sqlite3): the source of truth. WAL journal with
 * synchronous=FULL, so a write is on disk when its transaction returns and a `kill -9` at any
 * moment loses no acknowledged write.
 */
export class SqliteArticleStore implements ArticleStore, ArticleLog, LexicalStatistics, ModelStaging {
  readonly #db: Database.Database;
  readonly #statements;
  readonly #lexicon: SqliteLexicon;
  readonly #staging: SqliteModelStaging;
  readonly writeJournal: SqliteWriteJournal;

  private constructor(db: Database.Database, writeJournal: SqliteWriteJournal) {
    this.#db = db;
    this.#lexicon = new SqliteLexicon(db);
    this.#staging = new SqliteModelStaging(db);
    this.writeJournal = writeJournal;
    this.#statements = prepareArticleStatements(db);
  }

  /** Opens (creating if needed) the store in `dataDir`. */
  static open(dataDir: string): SqliteArticleStore {
    mkdirSync(dataDir, { recursive: true });
    const db = new Database(join(dataDir, databaseFileName));
    db.pragma("journal_mode = WAL");
    db.pragma("synchronous = FULL");
    db.pragma("foreign_keys = ON");
    db.pragma("busy_timeout = 5000");
    db.exec(schemaSql);
    addDisplayColumns(db);
    const version = db.prepare<[], { value: string }>("SELECT value FROM meta WHERE key = 'schema_version'").get();
    if (version === undefined) {
      db.prepare("INSERT INTO meta(key, value) VALUES ('schema_version', ?)").run(String(schemaVersion));
    } else if (Number(version.value) === 1) {
      // Version 1 had no lexical channel: index every stored text now, once.
      const store = new SqliteArticleStore(db, SqliteWriteJournal.open(dataDir, db));
      db.transaction(() => {
        for (const row of db.prepare<[], { label: number; title: string; body: string }>("SELECT label, title, body FROM articles").all()) {
          store.#lexicon.add(row.label, row.title, row.body);
        }
        db.prepare("UPDATE meta SET value = ? WHERE key = 'schema_version'").run(String(schemaVersion));
      })();
      return store;
    } else if (Number(version.value) !== schemaVersion) {
      db.close();
      throw new KindredError(
        "index_corrupt",
        `The database in ${dataDir} has schema version ${version.value}; this kindred reads version ${schemaVersion}. Re-index into a new data directory.`,
      );
    }
    const store = new SqliteArticleStore(db, SqliteWriteJournal.open(dataDir, db));
    store.#lexicon.countLeadsOnce(db);
    return store;
  }

  getModelPin(): ModelPin | null {
    const modelId = this.#statements.getMeta.get("model_id")?.value;
    const dimensions = this.#statements.getMeta.get("dimensions")?.value;
    return modelId === undefined || dimensions === undefined ? null : { modelId, dimensions: Number(dimensions) };
  }

  setModelPin(pin: ModelPin): void {
    this.#db.transaction(() => {
      this.#statements.setMeta.run("model_id", pin.modelId);
      this.#statements.setMeta.run("dimensions", String(pin.dimensions));
    })();
  }

  stageVectors(modelId: string, vectors: readonly StagedVector[]): void {
    this.#staging.stage(modelId, vectors);
  }

  listUnstaged(modelId: string): { unstaged: number[]; orphaned: number[] } {
    return this.#staging.listUnstaged(modelId);
  }

  listStagedVectors(modelId: string): Iterable<{ label: number; vector: Float32Array }> {
    return this.#staging.listCurrent(modelId);
  }

  discardStagedVectors(target: string | { exceptModelId: string }, labels?: readonly number[]): number {
    return typeof target === "string" ? this.#staging.discard(target, labels) : this.#staging.discardOthers(target.exceptModelId);
  }

  switchModel(from: string, to: ModelPin): ModelSwitchResult {
    return this.#staging.promote(from, to, { readPin: () => this.getModelPin(), writePin: (pin) => this.setModelPin(pin), latestSeq: () => this.latestSeq() });
  }

  count(): number {
    return this.#statements.count.get()!.n;
  }

  findById(id: string): StoredArticle | null {
    const row = this.#statements.byId.get(id);
    return row === undefined ? null : toStoredArticle(row);
  }

  findByLabel(label: number): StoredArticle | null {
    const row = this.#statements.byLabel.get(label);
    return row === undefined ? null : toStoredArticle(row);
  }

  findIdByUrl(url: string): string | null {
    const key = normalizeArticleUrl(url);
    return key === null ? null : (this.#statements.idByUrlKey.get(key)?.id ?? null);
  }

  findEmbedHashes(ids: readonly string[]): Map<string, string> {
    const hashes = new Map<string, string>();
    for (const id of ids) {
      const row = this.#statements.embedHash.get(id);
      if (row !== undefined) hashes.set(id, row.embed_hash);
    }
    return hashes;
  }

  getVector(label: number): Float32Array | null {
    const row = this.#statements.vector.get(label);
    return row === undefined ? null : decodeVector(row.vector);
  }

  writeArticles(writes: readonly ArticleWrite[], modelId?: string): WriteOutcome[] {
    // IMMEDIATE: the write lock first, so the pin checked is the pin the write commits under (a
    // deferred transaction could read it, lose the lock to a model switch, and fail as busy).
    return this.#db
      .transaction(() => {
        const pin = modelId === undefined ? null : this.getModelPin();
        if (pin !== null && modelId !== undefined && pin.modelId !== modelId) {
          throw vectorsOfOldModelError(modelId, pin.modelId);
        }
        return this.#lexicon.countingTogether(() => writes.map((write) => this.#writeOne(write)));
      })
      .immediate();
  }

  #writeOne(write: ArticleWrite): WriteOutcome {
    const { article } = write;
    const existing = this.#statements.byId.get(article.id);
    const urlKey = article.url === null ? null : normalizeArticleUrl(article.url);
    const owner = urlKey === null ? undefined : this.#statements.otherIdByUrlKey.get(urlKey, article.id);
    if (owner !== undefined) throw urlTakenError(article.id, urlKey!, owner.id);
    if (existing !== undefined && write.vector === null && existing.embed_hash !== write.embedHash) {
      throw new Error(`Article "${article.id}" changed its text but no new vector was given.`);
    }
    if (existing === undefined && write.vector === null) {
      throw new Error(`Article "${article.id}" is new but no vector was given.`);
    }
    if (existing !== undefined && isUnchangedWrite(toStoredArticle(existing), write)) {
      return { id: article.id, label: existing.label, status: "unchanged", seq: existing.seq, embedHash: existing.embed_hash };
    }
    const row = {
      ...toArticleColumns(article),
      url_key: urlKey,
      text_hash: write.textHash,
      embed_hash: write.embedHash,
      vector: write.vector === null ? null : encodeTypedArray(write.vector),
    };
    let label: number;
    if (existing === undefined) {
      label = Number(this.#statements.insert.run({ ...row, seq: 0 }).lastInsertRowid);
    } else {
      label = existing.label;
      this.#statements.deleteTopics.run(label);
    }
    // The lexical index follows the text in the same transaction (a metadata change leaves it be).
    if (existing === undefined || existing.title !== article.title || existing.body !== article.body) {
      this.#lexicon.remove(label);
      this.#lexicon.add(label, article.title, article.body);
    }
    article.topics.forEach((topic, position) => this.#statements.insertTopic.run(label, position, topic));
    const seq = Number(this.#statements.logChange.run(label, "upsert").lastInsertRowid);
    this.#statements.update.run({ ...row, label, seq });
    return { id: article.id, label, status: existing === undefined ? "created" : "updated", seq, embedHash: write.embedHash };
  }

  deleteArticle(id: string): { label: number; seq: number } | null {
    const [deleted] = this.deleteArticles([id]);
    return deleted === undefined ? null : { label: deleted.label, seq: deleted.seq };
  }

  deleteArticles(ids: readonly string[]): { id: string; label: number; seq: number }[] {
    return this.#db
      .transaction(() =>
        this.#lexicon.countingTogether(() =>
          ids.flatMap((id) => {
            const existing = this.#statements.byId.get(id);
            if (existing === undefined) return [];
            this.#lexicon.remove(existing.label);
            this.#statements.deleteArticle.run(existing.label);
            const seq = Number(this.#statements.logChange.run(existing.label, "delete").lastInsertRowid);
            return [{ id, label: existing.label, seq }];
          }),
        ),
      )
      .immediate();
  }

  *listArticles(): Iterable<StoredArticle> {
    for (const row of this.#statements.listArticles.iterate()) yield toStoredArticle(row);
  }

  *listSummaries(): Iterable<ArticleSummary> {
    // Both scans in one read transaction (one snapshot); topics from one ordered scan merged by
    // label rather than a subquery and a JSON parse per article: at 100k articles this takes a
    // fraction of listArticles' time, which also reads every body.
    const [rows, topics] = this.#db.transaction(() => [this.#statements.listSummaries.raw().all(), this.#statements.listTopics.raw().all()] as const)();
    let next = 0;
    for (const row of rows) {
      const label = row[0];
      while (next < topics.length && topics[next]![0] < label) next++;
      const articleTopics: string[] = [];
      while (next < topics.length && topics[next]![0] === label) articleTopics.push(topics[next++]![1]);
      yield toArticleSummary(row, articleTopics);
    }
  }

  *listVectors(): Iterable<{ label: number; vector: Float32Array }> {
    for (const row of this.#statements.listVectors.iterate()) yield { label: row.label, vector: decodeVector(row.vector) };
  }

  listChangesSince(seq: number): Change[] {
    return this.#statements.changesSince.all(seq);
  }

  latestSeq(): number {
    return this.#statements.latestSeq.get()?.seq ?? 0;
  }

  /**
   * Drops change-log entries up to `seq` (which a saved graph contains), but keeps the most
   * recent `retainedChanges` so that another process following the log (a running server while
   * `kindred index` writes) can still catch up by replay.
   */
  pruneChangesThrough(seq: number): void {
    const through = Math.min(seq, this.latestSeq() - retainedChanges);
    if (through <= this.oldestReplayableSeq()) return;
    this.#db.transaction(() => {
      this.#statements.pruneChanges.run(through);
      this.#statements.setMeta.run("pruned_through", String(through));
    })();
  }

  getLexicalProfile(label: number): LexicalProfile | null {
    return this.#lexicon.profile(label);
  }

  /**
   * Texts about to be written: `analyzeExpectedText` may then tokenise and sign each before its
   * write transaction, which only inserts what was made (store/sqlite-lexicon.ts, `expect`).
   */
  expectTexts(texts: readonly Pick<Article, "title" | "body">[]): void {
    for (const text of texts) this.#lexicon.expect(text.title, text.body);
  }

  analyzeExpectedText(title: string, body: string): void {
    this.#lexicon.analyzeExpected(title, body);
  }

  analyzeText(title: string, body: string): LexicalProfile {
    return this.#lexicon.analyze(title, body);
  }

  getTermStatistics(stems: readonly string[]): TermStatistics {
    return this.#lexicon.statistics(stems);
  }

  searchLexical(words: readonly string[], limit: number): { label: number; score: number }[] {
    return this.#lexicon.search(words, limit);
  }

  lexicalVersion(): number {
    return this.#lexicon.version();
  }

  oldestReplayableSeq(): number {
    return Number(this.#statements.getMeta.get("pruned_through")?.value ?? 0);
  }

  readSnapshot<T>(read: () => T): T {
    // A deferred transaction in WAL mode: its first read fixes the snapshot the rest see.
    return this.#db.inTransaction ? read() : this.#db.transaction(read).deferred();
  }

  close(): void {
    this.writeJournal.close();
    if (this.#db.open) this.#db.close();
  }
}
