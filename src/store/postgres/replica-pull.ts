import { randomUUID } from "node:crypto";
import { normalizeArticleUrl } from "../../core/urls/normalize-article-url.ts";
import type { Logger } from "../../log/logger.ts";
import type { ArticleWrite } from "../article-store.ts";
import type { SqliteArticleStore } from "../sqlite-article-store.ts";
import type { PostgresArticleLog, SharedArticle } from "./postgres-article-log.ts";
import { saveReplicaCursor } from "./replica-cursor.ts";

/** Change-log entries (or articles, when copying whole) read per round trip while catching up. */
const pullPageSize = 2_000;
/** How often a replica prunes the shared change log (any replica may; it is idempotent). */
const pruneIntervalMs = 60_000;
const defaultChangeLogRetentionMs = 24 * 3_600_000;

export interface ReplicaPullOptions {
  dataDir: string;
  logger: Logger;
  changeLogRetentionMs?: number;
}

/**
 * A replica's local copy catching up with the database's change log: page by page, or copied
 * whole when the log since its position was pruned; its position saved beside the copy and
 * reported to the database (what pruning keeps for it). Kept apart from PostgresReplicaStore,
 * which answers reads from the copy and sends writes to the database.
 */
export class ReplicaPull {
  readonly #shared: PostgresArticleLog;
  readonly #local: SqliteArticleStore;
  readonly #options: ReplicaPullOptions;
  readonly #storeId: string;
  #cursor: number;
  #pulling: Promise<number> = Promise.resolve(0);
  /** This process's entry among the replicas (a copied data directory must not share one). */
  readonly #replicaId = randomUUID();
  #reportedAt = 0;
  #prunedAt = 0;

  constructor(shared: PostgresArticleLog, local: SqliteArticleStore, options: ReplicaPullOptions, storeId: string, cursor: number) {
    this.#shared = shared;
    this.#local = local;
    this.#options = options;
    this.#storeId = storeId;
    this.#cursor = cursor;
  }

  /** The database's change-log position the local copy has reached. */
  get cursor(): number {
    return this.#cursor;
  }

  /** Brings the local copy up to the database's change log, one catch-up after another; returns how many articles changed. */
  catchUp(onStart?: () => void): Promise<number> {
    const pull = () => {
      onStart?.();
      return this.#pull();
    };
    const run = this.#pulling.then(pull, pull);
    this.#pulling = run.catch(() => 0);
    return run;
  }

  /** Resolves once a catch-up under way is done. */
  async settled(): Promise<void> {
    await this.#pulling.catch(() => undefined);
  }

  /** Drops this replica's entry, so pruning need not keep the log for it. */
  forget(): Promise<void> {
    return this.#shared.forgetReplica(this.#replicaId);
  }

  saveCursor(): void {
    saveReplicaCursor(this.#options.dataDir, this.#storeId, this.#cursor);
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
        this.saveCursor();
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
    this.saveCursor();
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
}

/** Whether an article's URL changes to another one (normalised), so the old one must be let go first. */
function urlMoves(before: string | null, after: string | null): boolean {
  if (before === null) return false;
  return after === null || normalizeArticleUrl(before) !== normalizeArticleUrl(after);
}
