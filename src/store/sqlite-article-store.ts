import { mkdirSync } from "node:fs";
import { join } from "node:path";
import Database from "better-sqlite3";
import { KindredError } from "../core/errors.ts";
import type { LexicalProfile } from "../core/related/lexical-profile.ts";
import type { TermStatistics } from "../core/related/query-terms.ts";
import { signatureLength } from "../core/related/shingle-signature.ts";
import { normalizeArticleUrl } from "../core/urls/normalize-article-url.ts";
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
import { SqliteLexicon } from "./sqlite-lexicon.ts";
import { SqliteModelStaging } from "./sqlite-model-staging.ts";
import { decodeSignature, decodeVector, encodeTypedArray } from "./typed-array-blobs.ts";
import { isUnchangedWrite } from "./unchanged-write.ts";
import { urlTakenError } from "./url-taken-error.ts";

interface ArticleRow {
  label: number;
  id: string;
  title: string;
  body: string;
  url: string | null;
  published_at: string | null;
  published_ms: number | null;
  lang: string | null;
  source: string | null;
  image_url: string | null;
  section: string | null;
  author: string | null;
  text_hash: string;
  embed_hash: string;
  seq: number;
  topics: string | null;
  signature: Buffer | null;
  words: number | null;
}

const articleColumns = `a.label, a.id, a.title, a.body, a.url, a.published_at, a.published_ms, a.lang, a.source,
  a.image_url, a.section, a.author, a.text_hash, a.embed_hash, a.seq, l.signature, l.words,
  (SELECT json_group_array(topic) FROM (SELECT topic FROM article_topics t WHERE t.label = a.label ORDER BY position)) AS topics`;

/** Articles with their lexicon row (signature, length), which every article has from schema version 2 on. */
const articlesWithLexicon = "articles a LEFT JOIN article_lexicon l ON l.label = a.label";

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

  private constructor(db: Database.Database) {
    this.#db = db;
    this.#lexicon = new SqliteLexicon(db);
    this.#staging = new SqliteModelStaging(db);
    this.#statements = {
      getMeta: db.prepare<[string], { value: string }>("SELECT value FROM meta WHERE key = ?"),
      setMeta: db.prepare<[string, string]>("INSERT INTO meta(key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value"),
      count: db.prepare<[], { n: number }>("SELECT COUNT(*) AS n FROM articles"),
      byId: db.prepare<[string], ArticleRow>(`SELECT ${articleColumns} FROM ${articlesWithLexicon} WHERE a.id = ?`),
      byLabel: db.prepare<[number], ArticleRow>(`SELECT ${articleColumns} FROM ${articlesWithLexicon} WHERE a.label = ?`),
      embedHash: db.prepare<[string], { embed_hash: string }>("SELECT embed_hash FROM articles WHERE id = ?"),
      vector: db.prepare<[number], { vector: Buffer }>("SELECT vector FROM articles WHERE label = ?"),
      insert:
        db.prepare(`INSERT INTO articles(id, title, body, url, url_key, published_at, published_ms, lang, source, image_url, section, author, text_hash, embed_hash, vector, seq)
        VALUES (@id, @title, @body, @url, @url_key, @published_at, @published_ms, @lang, @source, @image_url, @section, @author, @text_hash, @embed_hash, @vector, @seq)`),
      update: db.prepare(`UPDATE articles SET title = @title, body = @body, url = @url, url_key = @url_key, published_at = @published_at,
        published_ms = @published_ms, lang = @lang, source = @source, image_url = @image_url, section = @section, author = @author,
        text_hash = @text_hash, embed_hash = @embed_hash, vector = COALESCE(@vector, vector), seq = @seq WHERE label = @label`),
      idByUrlKey: db.prepare<[string], { id: string }>("SELECT id FROM articles WHERE url_key = ? ORDER BY label LIMIT 1"),
      otherIdByUrlKey: db.prepare<[string, string], { id: string }>("SELECT id FROM articles WHERE url_key = ? AND id <> ? LIMIT 1"),
      deleteTopics: db.prepare<[number]>("DELETE FROM article_topics WHERE label = ?"),
      insertTopic: db.prepare<[number, number, string]>("INSERT INTO article_topics(label, position, topic) VALUES (?, ?, ?)"),
      deleteArticle: db.prepare<[number]>("DELETE FROM articles WHERE label = ?"),
      logChange: db.prepare<[number, string]>("INSERT INTO changes(label, kind) VALUES (?, ?)"),
      latestSeq: db.prepare<[], { seq: number | null }>("SELECT MAX(seq) AS seq FROM changes"),
      // "+label": grouping by the bare column made SQLite walk the whole retained log through
      // the label index on every call (each write and each second); this way it reads only
      // the rows after `seq` by primary key and groups those.
      changesSince: db.prepare<[number], { seq: number; label: number; kind: "upsert" | "delete" }>(
        "SELECT MAX(seq) AS seq, label, kind FROM changes WHERE seq > ? GROUP BY +label ORDER BY seq",
      ),
      pruneChanges: db.prepare<[number]>("DELETE FROM changes WHERE seq <= ?"),
      listArticles: db.prepare<[], ArticleRow>(`SELECT ${articleColumns} FROM ${articlesWithLexicon} ORDER BY a.label`),
      listVectors: db.prepare<[], { label: number; vector: Buffer }>("SELECT label, vector FROM articles ORDER BY label"),
      listSummaries: db.prepare<[], Omit<ArticleRow, "body" | "source" | "topics">>(
        `SELECT a.label, a.id, a.title, a.url, a.published_at, a.published_ms, a.lang, a.image_url, a.section, a.author, a.text_hash, a.embed_hash, a.seq, l.signature, l.words
         FROM ${articlesWithLexicon} ORDER BY a.label`,
      ),
      listTopics: db.prepare<[], { label: number; topic: string }>("SELECT label, topic FROM article_topics ORDER BY label, position"),
    };
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
      // Version 1 had no lexical channel: index every stored text now (about 2 s per 10,000 short articles).
      const store = new SqliteArticleStore(db);
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
    return new SqliteArticleStore(db);
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
        if (pin !== null && pin.modelId !== modelId) {
          throw new KindredError(
            "model_switched",
            `The index switched from model "${modelId}" to "${pin.modelId}" (kindred reindex); embed again with "${pin.modelId}".`,
            {
              writerModel: modelId,
              indexModel: pin.modelId,
            },
          );
        }
        return writes.map((write) => this.#writeOne(write));
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
      return { id: article.id, label: existing.label, status: "unchanged", seq: existing.seq };
    }
    const row = {
      id: article.id,
      title: article.title,
      body: article.body,
      url: article.url,
      published_at: article.publishedAt,
      published_ms: article.publishedMs,
      lang: article.lang,
      source: article.source,
      image_url: article.imageUrl ?? null,
      section: article.section ?? null,
      author: article.author ?? null,
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
    return { id: article.id, label, status: existing === undefined ? "created" : "updated", seq };
  }

  deleteArticle(id: string): { label: number; seq: number } | null {
    const [deleted] = this.deleteArticles([id]);
    return deleted === undefined ? null : { label: deleted.label, seq: deleted.seq };
  }

  deleteArticles(ids: readonly string[]): { id: string; label: number; seq: number }[] {
    return this.#db
      .transaction(() =>
        ids.flatMap((id) => {
          const existing = this.#statements.byId.get(id);
          if (existing === undefined) return [];
          this.#lexicon.remove(existing.label);
          this.#statements.deleteArticle.run(existing.label);
          const seq = Number(this.#statements.logChange.run(existing.label, "delete").lastInsertRowid);
          return [{ id, label: existing.label, seq }];
        }),
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
    const [rows, topics] = this.#db.transaction(() => [this.#statements.listSummaries.all(), this.#statements.listTopics.all()] as const)();
    let next = 0;
    for (const row of rows) {
      while (next < topics.length && topics[next]!.label < row.label) next++;
      const articleTopics: string[] = [];
      while (next < topics.length && topics[next]!.label === row.label) articleTopics.push(topics[next++]!.topic);
      yield {
        label: row.label,
        id: row.id,
        title: row.title,
        url: row.url,
        topics: articleTopics,
        publishedAt: row.published_at,
        publishedMs: row.published_ms,
        lang: row.lang,
        imageUrl: row.image_url,
        section: row.section,
        author: row.author,
        textHash: row.text_hash,
        embedHash: row.embed_hash,
        seq: row.seq,
        ...lexiconOf(row),
      };
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
    if (this.#db.open) this.#db.close();
  }
}

/**
 * Columns added after schema version 2, on open and only when missing (so the schema version
 * stays 2 and older databases simply gain them): the display fields, and `url_key`, the
 * normalised URL (core/urls/normalize-article-url.ts) that lookups by URL and the uniqueness
 * check use. Its index is not UNIQUE because databases written before the rule may hold
 * duplicates; the rule is kept by the write transaction (writeArticles), which runs under the
 * database's write lock, so two processes cannot both take one URL.
 */
function addDisplayColumns(db: Database.Database): void {
  const columns = new Set(
    db
      .prepare<[], { name: string }>("PRAGMA table_info(articles)")
      .all()
      .map((column) => column.name),
  );
  db.transaction(() => {
    for (const column of ["image_url", "section", "author", "url_key"]) {
      if (!columns.has(column)) db.exec(`ALTER TABLE articles ADD COLUMN ${column} TEXT`);
    }
    if (!columns.has("url_key")) {
      const setKey = db.prepare<[string | null, number]>("UPDATE articles SET url_key = ? WHERE label = ?");
      for (const row of db.prepare<[], { label: number; url: string }>("SELECT label, url FROM articles WHERE url IS NOT NULL").all()) {
        setKey.run(normalizeArticleUrl(row.url), row.label);
      }
    }
    db.exec("CREATE INDEX IF NOT EXISTS articles_url_key ON articles(url_key) WHERE url_key IS NOT NULL");
    // Covers what start-up reads of every article (listSummaries), so that scan reads this index
    // instead of the article rows, which bodies and vectors make many times larger: at 100k
    // articles it halves the time to load the catalog. It replaces articles_summary, which
    // lacked the display columns (dropped once, here).
    db.exec("DROP INDEX IF EXISTS articles_summary");
    db.exec(`CREATE INDEX IF NOT EXISTS articles_summary_display ON articles(label, id, title, url, published_at, published_ms, lang,
      image_url, section, author, text_hash, embed_hash, seq)`);
  }).immediate();
}

function toStoredArticle(row: ArticleRow): StoredArticle {
  return {
    label: row.label,
    id: row.id,
    title: row.title,
    body: row.body,
    url: row.url,
    topics: row.topics === null ? [] : (JSON.parse(row.topics) as string[]),
    publishedAt: row.published_at,
    publishedMs: row.published_ms,
    lang: row.lang,
    source: row.source,
    imageUrl: row.image_url,
    section: row.section,
    author: row.author,
    textHash: row.text_hash,
    embedHash: row.embed_hash,
    seq: row.seq,
    ...lexiconOf(row),
  };
}

/** The signature and length from the lexicon row (a signature of nothing if there is none). */
function lexiconOf(row: { signature: Buffer | null; words: number | null }): { signature: Uint32Array; words: number } {
  return { signature: row.signature === null ? new Uint32Array(signatureLength).fill(0xffffffff) : decodeSignature(row.signature), words: row.words ?? 0 };
}
