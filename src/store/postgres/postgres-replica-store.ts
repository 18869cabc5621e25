import { randomUUID } from "node:crypto";
import { existsSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import pg from "pg";
import { z } from "zod";
import { KindredError } from "../../core/errors.ts";
import type { LexicalProfile } from "../../core/related/lexical-profile.ts";
import type { TermStatistics } from "../../core/related/query-terms.ts";
import { normalizeArticleUrl } from "../../core/urls/normalize-article-url.ts";
import type { Logger } from "../../log/logger.ts";
import type {
  ArticleLog,
  ArticleStore,
  ArticleSummary,
  ArticleWrite,
  Change,
  LexicalStatistics,
  ModelPin,
  ModelSwitchResult,
  StagedVector,
  StoredArticle,
  WriteOutcome,
} from "../article-store.ts";
import { SqliteArticleStore } from "../sqlite-article-store.ts";
import { changesChannel, PostgresArticleLog, type SharedArticle } from "./postgres-article-log.ts";
import { migratePostgres } from "./postgres-migrations.ts";

/** The file beside the local copy naming the database it copies and how far it has followed its log. */
export const replicaCursorFileName = "postgres-replica.json";

const cursorSchema = z.object({ storeId: z.string().min(1), seq: z.number().int().min(0) });

/** Change-log entries (or articles, when copying whole) read per round trip while catching up. */
const pullPageSize = 2_000;
/** How often a replica prunes the shared change log (any replica may; it is idempotent). */
const pruneIntervalMs = 60_000;
const defaultChangeLogRetentionMs = 24 * 3_600_000;

export interface PostgresReplicaOptions {
  databaseUrl: string;
  /** The replica's own directory: its local copy (SQLite) and graph files. */
  dataDir: string;
  logger: Logger;
  /** Connections in the pool (writes hold one for their transaction). */
  poolSize?: number;
  /**
   * The shared change log keeps what every replica seen within this window still needs (default
   * a day); a replica away longer copies the articles whole when it returns.
   */
  changeLogRetentionMs?: number;
}

/**
 * A kindred replica's store when PostgreSQL is the store of record (docs/deployment.md, "Deployment").
 * PostgreSQL holds the truth and the change log; every replica keeps a local SQLite copy in its
 * data directory, fed from that log, and answers the engine's synchronous reads (catalog,
 * lexical statistics, vectors for its graph) from it, so the read path stays in memory and on
 * local disk. A write commits to PostgreSQL first, then the copy catches up before the write
 * is acknowledged, so a replica reads its own writes; other replicas catch up on the
 * LISTEN/NOTIFY signal (or by polling, should the notification connection drop).
 *
 * @example
 *   const store = await PostgresReplicaStore.open({ databaseUrl, dataDir, logger });
 */
export class PostgresReplicaStore implements ArticleStore, ArticleLog, LexicalStatistics {
  readonly #pool: pg.Pool;
  readonly #shared: PostgresArticleLog;
  readonly #local: SqliteArticleStore;
  readonly #options: PostgresReplicaOptions;
  readonly #storeId: string;
  #cursor: number;
  #pulling: Promise<number> = Promise.resolve(0);
  #follower: { stop: () => Promise<void> } | null = null;
  /** This process's entry among the replicas (a copied data directory must not share one). */
  readonly #replicaId = randomUUID();
  #reportedAt = 0;
  #prunedAt = 0;
  #ended: Promise<void> | null = null;

  private constructor(pool: pg.Pool, shared: PostgresArticleLog, local: SqliteArticleStore, options: PostgresReplicaOptions, storeId: string, cursor: number) {
    this.#pool = pool;
    this.#shared = shared;
    this.#local = local;
    this.#options = options;
    this.#storeId = storeId;
    this.#cursor = cursor;
  }

  /** Connects, applies missing migrations, opens (or starts) the local copy and catches it up. */
  static async open(options: PostgresReplicaOptions): Promise<PostgresReplicaStore> {
    const pool = new pg.Pool({ connectionString: options.databaseUrl, max: options.poolSize ?? 4 });
    // An idle pooled connection the server drops must not crash the process: the next query reconnects.
    pool.on("error", (error) => options.logger.warn({ err: error }, "PostgreSQL connection lost"));
    let local: SqliteArticleStore | null = null;
    try {
      await migratePostgres(pool);
      const shared = new PostgresArticleLog(pool);
      const storeId = await shared.storeId();
      local = SqliteArticleStore.open(options.dataDir);
      const cursorPath = join(options.dataDir, replicaCursorFileName);
      let cursor = 0;
      if (existsSync(cursorPath)) {
        const saved = cursorSchema.safeParse(JSON.parse(readFileSync(cursorPath, "utf8")));
        if (!saved.success)
          throw new KindredError(
            "index_corrupt",
            `${cursorPath} is unreadable (${saved.error.issues[0]!.message}); start this replica with an empty data directory.`,
          );
        if (saved.data.storeId !== storeId) {
          throw new KindredError(
            "index_corrupt",
            `The data directory ${options.dataDir} holds a copy of another PostgreSQL database (${saved.data.storeId}, not ${storeId}); give this replica an empty data directory.`,
          );
        }
        cursor = saved.data.seq;
      } else if (local.count() > 0) {
        throw new KindredError(
          "index_corrupt",
          `The data directory ${options.dataDir} holds a SQLite index of its own; a PostgreSQL replica needs an empty data directory (its local copy is filled from the database).`,
        );
      }
      const store = new PostgresReplicaStore(pool, shared, local, options, storeId, cursor);
      store.#saveCursor();
      const pin = await shared.getModelPin();
      const localPin = local.getModelPin();
      if (pin !== null && localPin !== null && localPin.modelId !== pin.modelId && local.count() > 0) {
        throw new KindredError(
          "index_model_mismatch",
          `The database pins model "${pin.modelId}" but this replica's copy in ${options.dataDir} holds "${localPin.modelId}"; give it an empty data directory.`,
        );
      }
      if (pin !== null) local.setModelPin(pin);
      await store.catchUp();
      return store;
    } catch (error) {
      local?.close();
      await pool.end();
      throw error;
    }
  }

  /** Brings the local copy up to the database's change log; returns how many articles changed. */
  catchUp(onStart?: () => void): Promise<number> {
    const pull = () => {
      onStart?.();
      return this.#pull();
    };
    const run = this.#pulling.then(pull, pull);
    this.#pulling = run.catch(() => 0);
    return run;
  }

  /**
   * Follows the database's change log: on every NOTIFY, and every `pollMs` in case the
   * notification connection is down, catches up and calls `onChanged` when anything changed.
   */
  follow(onChanged: () => void, pollMs = 1_000): void {
    if (this.#follower !== null) return;
    const { logger } = this.#options;
    let listener: pg.Client | null = null;
    let stopped = false;
    // A burst of notifications needs one catch-up that has not started yet, not one each: a
    // catch-up sees everything committed before it starts.
    let waiting = false;
    const pull = () => {
      if (stopped || waiting) return;
      waiting = true;
      this.catchUp(() => (waiting = false)).then(
        (changed) => changed > 0 && onChanged(),
        (error: unknown) => {
          waiting = false;
          logger.warn({ err: error }, "following the PostgreSQL change log failed; retrying");
        },
      );
    };
    const listen = async () => {
      const client = new pg.Client({ connectionString: this.#options.databaseUrl });
      client.on("error", (error) => {
        logger.warn({ err: error }, "LISTEN connection lost; polling until it is back");
        if (listener === client) listener = null;
        void client.end().catch(() => undefined);
      });
      client.on("notification", pull);
      await client.connect();
      await client.query(`LISTEN ${changesChannel}`);
      if (stopped) await client.end();
      else listener = client;
      // A change committed before LISTEN took effect would have no notification: look once now.
      pull();
    };
    let connecting = false;
    const ensureListening = () => {
      if (listener !== null || connecting || stopped) return;
      connecting = true;
      listen()
        .catch((error: unknown) => logger.warn({ err: error }, "cannot LISTEN for changes; polling"))
        .finally(() => (connecting = false));
    };
    ensureListening();
    const timer = setInterval(() => {
      ensureListening();
      pull();
    }, pollMs);
    timer.unref();
    this.#follower = {
      stop: async () => {
        stopped = true;
        clearInterval(timer);
        await listener?.end().catch(() => undefined);
      },
    };
  }

  async #pull(): Promise<number> {
    let changed = 0;
    try {
      for (;;) {
        const { changes, complete } = await this.#shared.changesSince(this.#cursor, pullPageSize);
        if (!complete) {
          changed += await this.#copyAll();
          continue;
        }
        if (changes.length === 0) return changed;
        const ids = [...new Set(changes.map((change) => change.articleId))];
        // The state now, which may be newer than these entries: applying it again later is "unchanged".
        changed += this.#applyStates(ids, await this.#shared.fetchArticles(ids));
        this.#cursor = changes[changes.length - 1]!.seq;
        this.#saveCursor();
        if (changes.length < pullPageSize) return changed;
      }
    } finally {
      await this.#reportPosition();
    }
  }

  /**
   * The log since this copy's position was pruned (it was away longer than the retention, or it
   * is new and the log no longer starts at the first write): copies every article as one
   * snapshot holds it, drops what the snapshot lacks, and goes on from the snapshot's position.
   */
  async #copyAll(): Promise<number> {
    const started = performance.now();
    const seen = new Set<string>();
    let changed = 0;
    const seq = await this.#shared.readAllArticles(pullPageSize, (articles) => {
      for (const { article } of articles) seen.add(article.id);
      changed += this.#applyStates(
        articles.map(({ article }) => article.id),
        new Map(articles.map((shared) => [shared.article.id, shared])),
      );
    });
    const gone = [...this.#local.listSummaries()].map((summary) => summary.id).filter((id) => !seen.has(id));
    if (gone.length > 0) changed += this.#local.deleteArticles(gone).length;
    this.#cursor = seq;
    this.#saveCursor();
    this.#options.logger.info(
      { articles: seen.size, seq, ms: Math.round(performance.now() - started) },
      "copied the articles whole: the change log since this copy was pruned",
    );
    return changed;
  }

  /** At most once a second: this replica's position, for pruning; and, at most once a minute, a prune. */
  async #reportPosition(): Promise<void> {
    const now = Date.now();
    if (now - this.#reportedAt < 1_000) return;
    this.#reportedAt = now;
    try {
      await this.#shared.recordReplicaPosition(this.#replicaId, this.#cursor);
      if (now - this.#prunedAt >= pruneIntervalMs) {
        this.#prunedAt = now;
        await this.#shared.pruneChanges(this.#options.changeLogRetentionMs ?? defaultChangeLogRetentionMs);
      }
    } catch (error) {
      this.#options.logger.warn({ err: error }, "could not record this replica's position in PostgreSQL; retrying");
    }
  }

  /** Applies articles' current states to the local copy (ids absent from `current` are deleted); returns how many changed. */
  #applyStates(ids: readonly string[], current: ReadonlyMap<string, SharedArticle>): number {
    const writes: ArticleWrite[] = [];
    const gone: string[] = [];
    for (const id of ids) {
      const shared = current.get(id);
      if (shared === undefined) gone.push(id);
      else writes.push({ article: shared.article, textHash: shared.textHash, embedHash: shared.embedHash, vector: shared.vector });
    }
    // The local copy keeps a URL to one article too: deletes first, and articles whose URL moves
    // let go of the old one first, so a URL handed from one article to another (even a swap)
    // applies in any order.
    const deleted = gone.length === 0 ? [] : this.#local.deleteArticles(gone);
    const moving = writes.filter(({ article }) => urlMoves(this.#local.findById(article.id)?.url ?? null, article.url));
    if (moving.length > 0) this.#local.writeArticles(moving.map((write) => ({ ...write, article: { ...write.article, url: null } })));
    const outcomes = writes.length === 0 ? [] : this.#local.writeArticles(writes);
    return outcomes.filter((outcome) => outcome.status !== "unchanged").length + deleted.length;
  }

  /** Written after the local copy committed: a crash in between re-applies the same states, which are then "unchanged". */
  #saveCursor(): void {
    const path = join(this.#options.dataDir, replicaCursorFileName);
    writeFileSync(`${path}.tmp`, JSON.stringify({ storeId: this.#storeId, seq: this.#cursor }));
    renameSync(`${path}.tmp`, path);
  }

  /** The connection pool to the store of record (pgvector mode searches through it too). */
  get pool(): pg.Pool {
    return this.#pool;
  }

  /** The database's change-log position this replica's copy has reached. */
  get followedSeq(): number {
    return this.#cursor;
  }

  getModelPin(): ModelPin | null {
    return this.#local.getModelPin();
  }

  async setModelPin(pin: ModelPin): Promise<void> {
    const inForce = await this.#shared.pinModelIfUnset(pin);
    this.#local.setModelPin(inForce);
    if (inForce.modelId !== pin.modelId) {
      throw new KindredError(
        "index_model_mismatch",
        `The database already pins model "${inForce.modelId}" (another replica started first), not "${pin.modelId}".`,
        {
          indexModel: inForce.modelId,
          configuredModel: pin.modelId,
        },
      );
    }
  }

  async writeArticles(writes: readonly ArticleWrite[], modelId?: string): Promise<WriteOutcome[]> {
    const committed = await this.#shared.writeArticles(writes, modelId);
    await this.catchUp();
    return committed.map(({ id, status }) => {
      const local = this.#local.findById(id);
      return { id, status, label: local?.label ?? -1, seq: local?.seq ?? this.#local.latestSeq() };
    });
  }

  async deleteArticle(id: string): Promise<{ label: number; seq: number } | null> {
    const [deleted] = await this.deleteArticles([id]);
    return deleted === undefined ? null : { label: deleted.label, seq: deleted.seq };
  }

  async deleteArticles(ids: readonly string[]): Promise<{ id: string; label: number; seq: number }[]> {
    const labels = new Map(ids.map((id) => [id, this.#local.findById(id)?.label ?? -1] as const));
    const deleted = await this.#shared.deleteArticles(ids);
    await this.catchUp();
    return deleted.map(({ id }) => ({ id, label: labels.get(id) ?? -1, seq: this.#local.latestSeq() }));
  }

  count(): number {
    return this.#local.count();
  }
  findById(id: string): StoredArticle | null {
    return this.#local.findById(id);
  }
  findByLabel(label: number): StoredArticle | null {
    return this.#local.findByLabel(label);
  }
  /** Reads come from the local copy, so one snapshot of it is one snapshot of what this replica has followed. */
  readSnapshot<T>(read: () => T): T {
    return this.#local.readSnapshot(read);
  }

  findIdByUrl(url: string): string | null {
    return this.#local.findIdByUrl(url);
  }

  findEmbedHashes(ids: readonly string[]): Map<string, string> {
    return this.#local.findEmbedHashes(ids);
  }
  getVector(label: number): Float32Array | null {
    return this.#local.getVector(label);
  }
  listArticles(): Iterable<StoredArticle> {
    return this.#local.listArticles();
  }
  listSummaries(): Iterable<ArticleSummary> {
    return this.#local.listSummaries();
  }
  listVectors(): Iterable<{ label: number; vector: Float32Array }> {
    return this.#local.listVectors();
  }
  listChangesSince(seq: number): Change[] {
    return this.#local.listChangesSince(seq);
  }
  latestSeq(): number {
    return this.#local.latestSeq();
  }
  pruneChangesThrough(seq: number): void {
    this.#local.pruneChangesThrough(seq);
  }
  oldestReplayableSeq(): number {
    return this.#local.oldestReplayableSeq();
  }
  getLexicalProfile(label: number): LexicalProfile | null {
    return this.#local.getLexicalProfile(label);
  }
  analyzeText(title: string, body: string): LexicalProfile {
    return this.#local.analyzeText(title, body);
  }
  getTermStatistics(stems: readonly string[]): TermStatistics {
    return this.#local.getTermStatistics(stems);
  }
  searchLexical(words: readonly string[], limit: number): { label: number; score: number }[] {
    return this.#local.searchLexical(words, limit);
  }
  lexicalVersion(): number {
    return this.#local.lexicalVersion();
  }

  // Model staging (`kindred reindex`) works on SQLite only so far: refused here, never half-done.
  stageVectors(_modelId: string, _vectors: readonly StagedVector[]): void {
    throw stagingUnsupported();
  }
  listUnstaged(_modelId: string): { unstaged: number[]; orphaned: number[] } {
    throw stagingUnsupported();
  }
  listStagedVectors(_modelId: string): Iterable<{ label: number; vector: Float32Array }> {
    throw stagingUnsupported();
  }
  discardStagedVectors(_target: string | { exceptModelId: string }, _labels?: readonly number[]): number {
    throw stagingUnsupported();
  }
  switchModel(_from: string, _to: ModelPin): ModelSwitchResult {
    throw stagingUnsupported();
  }

  /** Stops following and, once a catch-up under way is done, closes the local copy and the pool (`end()` waits for it). */
  close(): void {
    this.#ended ??= (async () => {
      await this.#follower?.stop();
      await this.#pulling.catch(() => undefined);
      this.#local.close();
      // Stopped on purpose: pruning need not keep the log for this process.
      await this.#shared.forgetReplica(this.#replicaId).catch(() => undefined);
      await this.#pool.end();
    })();
  }

  /** Closes (if not yet) and resolves once every connection is closed. */
  async end(): Promise<void> {
    this.close();
    await this.#ended;
  }
}

function stagingUnsupported(): KindredError {
  return new KindredError(
    "invalid_config",
    "Switching models (kindred reindex) is not supported with a PostgreSQL store yet; re-index into a new database instead.",
  );
}

/** Whether an article's URL changes to another one (normalised), so the old one must be let go first. */
function urlMoves(before: string | null, after: string | null): boolean {
  if (before === null) return false;
  return after === null || normalizeArticleUrl(before) !== normalizeArticleUrl(after);
}
