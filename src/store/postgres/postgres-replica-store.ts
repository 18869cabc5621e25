import pg from "pg";
import { KindredError } from "../../core/errors.ts";
import type { LexicalProfile } from "../../core/related/lexical-profile.ts";
import type { TermStatistics } from "../../core/related/query-terms.ts";
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
import { followChangeLog } from "./follow-change-log.ts";
import { PostgresArticleLog } from "./postgres-article-log.ts";
import { migratePostgres } from "./postgres-migrations.ts";
import { readReplicaCursor } from "./replica-cursor.ts";
import { ReplicaPull } from "./replica-pull.ts";

export { replicaCursorFileName } from "./replica-cursor.ts";

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
  /** The local copy catching up with the database's change log (store/postgres/replica-pull.ts). */
  readonly #pull: ReplicaPull;
  #follower: { stop: () => Promise<void> } | null = null;
  #ended: Promise<void> | null = null;

  private constructor(pool: pg.Pool, shared: PostgresArticleLog, local: SqliteArticleStore, options: PostgresReplicaOptions, storeId: string, cursor: number) {
    this.#pool = pool;
    this.#shared = shared;
    this.#local = local;
    this.#options = options;
    this.#pull = new ReplicaPull(shared, local, options, storeId, cursor);
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
      const cursor = readReplicaCursor(options.dataDir, storeId, local);
      const store = new PostgresReplicaStore(pool, shared, local, options, storeId, cursor);
      store.#pull.saveCursor();
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
    return this.#pull.catchUp(onStart);
  }

  /**
   * Follows the database's change log: on every NOTIFY, and every `pollMs` in case the
   * notification connection is down, catches up and calls `onChanged` when anything changed
   * (store/postgres/follow-change-log.ts).
   */
  follow(onChanged: () => void, pollMs = 1_000): void {
    if (this.#follower !== null) return;
    this.#follower = followChangeLog(this.#options.databaseUrl, this.#options.logger, (onStart) => this.catchUp(onStart), onChanged, pollMs);
  }

  /** The connection pool to the store of record (pgvector mode searches through it too). */
  get pool(): pg.Pool {
    return this.#pool;
  }

  /** The database's change-log position this replica's copy has reached. */
  get followedSeq(): number {
    return this.#pull.cursor;
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
    const written = new Map(writes.map((write) => [write.article.id, write.embedHash]));
    return committed.map(({ id, status }) => {
      const local = this.#local.findById(id);
      return { id, status, label: local?.label ?? -1, seq: local?.seq ?? this.#local.latestSeq(), embedHash: local?.embedHash ?? written.get(id)! };
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
      await this.#pull.settled();
      this.#local.close();
      // Stopped on purpose: pruning need not keep the log for this process.
      await this.#pull.forget().catch(() => undefined);
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
