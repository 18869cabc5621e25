import type { Article } from "../core/article.ts";
import { isKindredError } from "../core/errors.ts";
import type { WriteJournal, WriteOutcome } from "../store/article-store.ts";
import { AcceptedBacklog, backlogSizeOf } from "./accepted-backlog.ts";
import type { ArticleWrites } from "./article-writes.ts";
import type { StoreWriter } from "./store-writer.ts";
import { timeWritePhase } from "./write-timings.ts";

/** Accepted writes embedded at once: enough to keep the model's workers busy, few enough to bound memory. */
const maxWritesInFlight = 4;
/** Delay before a write that failed for a reason other than its own content is tried again. */
const retryDelayMs = 1_000;
/** Freshness samples kept for the quantiles (the latest ones). */
const freshnessSamples = 4_096;

interface AcceptedArticle {
  article: Article;
  ackSeq: number;
  /** This process's order of accepted writes and deletes: the latest of an article's is the one that counts. */
  generation: number;
}

interface AcceptedRequest {
  articles: AcceptedArticle[];
  acceptedAt: number;
  resolve: (outcomes: Map<string, WriteOutcome>) => void;
  reject: (error: unknown) => void;
}

/** Deletes stored articles through the write queue, each only if `stillWanted` says so when its turn comes; the ids that existed. */
export type DeleteStored = (ids: readonly string[], stillWanted?: (id: string) => boolean) => Promise<string[]>;

/** A delete made an article's latest operation. */
interface DeleteMark {
  id: string;
  /** An accepted write of the article was waiting (it existed, whatever the store held). */
  hadPending: boolean;
  /** The journal rows of the article this delete supersedes or is, up to this sequence number. */
  throughSeq: number;
  generation: number;
}

/** What the caller of `accept` gets once the articles are durable. */
export interface Acceptance {
  ackSeqs: number[];
  /** Settles once the articles are embedded, stored and in this process's indexes: outcomes by id (none for an article a later write superseded). */
  stored: Promise<Map<string, WriteOutcome>>;
}

/**
 * Writes acknowledged once durable (docs/http-api.md, "Acknowledgement"): `accept` journals the
 * articles (store/sqlite-write-journal.ts) and returns; embedding, storing and indexing follow
 * here, several writes at once as the model allows. Order per article holds: only an article's
 * latest accepted write (or delete) is ever stored, so a write superseded while it embedded is
 * dropped when its turn to be stored comes (ArticleWrites `stillWanted`), and a delete needs no
 * model and never waits behind another article's embedding. Start-up calls `recover` to take
 * up what a crash left in the journal.
 */
export class AcceptedWrites {
  readonly #writes: ArticleWrites;
  readonly #writer: StoreWriter;
  readonly #journal: WriteJournal;
  readonly #onError: (error: unknown, ids: string[]) => void;
  /** Called once stored writes are in this process's indexes; resolves once every process holds them (the reader barrier). */
  #afterApplied: () => Promise<void> = async () => {};
  /** Article id -> generation of its latest accepted write or delete not yet settled. */
  readonly #latest = new Map<string, number>();
  /** Articles whose latest accepted operation is a delete not yet applied. */
  readonly #deleting = new Set<string>();
  /** Article id -> the latest journal sequence number accepted for it in this process. */
  readonly #latestAckSeq = new Map<string, number>();
  readonly #settledWaiters = new Map<string, (() => void)[]>();
  readonly #queue: AcceptedRequest[] = [];
  /** Writes waiting for room in the backlog, in arrival order. */
  readonly #backlog = new AcceptedBacklog();
  #generation = 0;
  #inFlight = 0;
  readonly #freshnessMs: number[] = [];
  #freshnessNext = 0;

  constructor(parts: { writes: ArticleWrites; writer: StoreWriter; journal: WriteJournal; onError: (error: unknown, ids: string[]) => void }) {
    this.#writes = parts.writes;
    this.#writer = parts.writer;
    this.#journal = parts.journal;
    this.#onError = parts.onError;
  }

  /** How a multi-process server brings its readers along after each stored write (cli/commands/serve-command.ts). */
  set afterApplied(hook: () => Promise<void>) {
    this.#afterApplied = hook;
  }

  /** Accepted articles not yet stored and indexed (what /readyz reports as pending). */
  get pendingArticles(): number {
    return this.#backlog.pendingArticles;
  }

  /** Milliseconds from acknowledgement to every process holding the write, over the latest writes (sorted copy). */
  freshnessSamples(): number[] {
    return [...this.#freshnessMs].sort((a, b) => a - b);
  }

  /** Journals the articles durably and queues them for embedding; resolves once they are durable. */
  async accept(articles: readonly Article[]): Promise<Acceptance> {
    const size = backlogSizeOf(articles);
    await this.#backlog.reserve(size, (wait) => timeWritePhase("room", () => wait));
    try {
      const acceptedAt = Date.now();
      const ackSeqs = await timeWritePhase("journal", () => this.#writer.appendToJournal(articles, acceptedAt));
      const stored = this.#enqueue(
        articles.map((article, index) => ({ article, ackSeq: ackSeqs[index]! })),
        acceptedAt,
      );
      return { ackSeqs, stored };
    } finally {
      // Counted as pending from the enqueue on (or never, when the journal refused them).
      this.#backlog.release(size);
    }
  }

  /** Queues what the journal holds (after a crash: acknowledged, never applied); returns how many operations. */
  recover(deleteStored: DeleteStored): number {
    const entries = this.#journal.list();
    // Consecutive writes stored together, as a batch would be (one refused is then retried
    // alone); of two rows of one article, only the later one is applied (the latest generation).
    let writes: { article: Article; ackSeq: number; acceptedMs: number }[] = [];
    const flushWrites = () => {
      for (let start = 0; start < writes.length; start += 64) {
        const slice = writes.slice(start, start + 64);
        this.#enqueue(slice, slice[0]!.acceptedMs).catch(() => undefined);
      }
      writes = [];
    };
    for (const entry of entries) {
      if (entry.article !== null) {
        writes.push({ article: entry.article, ackSeq: entry.ackSeq, acceptedMs: entry.acceptedMs });
        continue;
      }
      flushWrites();
      this.#applyDeletes(this.#markDeletes([entry.id], [entry.ackSeq]), deleteStored).catch(() => undefined);
    }
    flushWrites();
    return entries.length;
  }

  /**
   * Acknowledges deletes once durable: each id that exists (stored, or with an accepted write
   * not yet stored, and not being deleted already) is journaled, and deleted from the store
   * in the background, ahead of any later write of it. `applied` settles once the store and
   * this process's indexes no longer hold them.
   */
  async acceptDeletes(
    ids: readonly string[],
    parts: { isStored: (id: string) => boolean; deleteStored: DeleteStored },
  ): Promise<{ existing: string[]; ackSeqs: number[]; applied: Promise<string[]> }> {
    const existing = ids.filter((id) => !this.#deleting.has(id) && (this.#latest.has(id) || parts.isStored(id)));
    if (existing.length === 0) return { existing, ackSeqs: [], applied: Promise.resolve([]) };
    const ackSeqs = await timeWritePhase("journal", () => this.#writer.appendDeletesToJournal(existing, Date.now()));
    // In journal order (the appends answer in turn): a write of the same article accepted after this delete wins.
    const applied = this.#applyDeletes(this.#markDeletes(existing, ackSeqs), parts.deleteStored);
    return { existing, ackSeqs, applied };
  }

  /**
   * Deletes articles at once (no model): any accepted write of them not yet stored is dropped.
   * `deleteStored` deletes the stored rows (through the write queue); returns the ids that
   * existed, stored or accepted.
   */
  async delete(ids: readonly string[], deleteStored: (ids: readonly string[]) => Promise<string[]>): Promise<string[]> {
    const marks = this.#markDeletes(ids, undefined);
    try {
      const deleted = new Set(await deleteStored(ids));
      // After the rows are gone: a crash before this replays the superseded writes, and the delete was never answered.
      const superseded = marks.filter((mark) => mark.throughSeq > 0).map(({ id, throughSeq }) => ({ id, throughSeq }));
      // Most deletes have nothing journaled: no turn on the journal's thread for them.
      if (superseded.length > 0) await timeWritePhase("journal", () => this.#writer.removeFromJournal(superseded));
      return marks.filter((mark) => deleted.has(mark.id) || mark.hadPending).map((mark) => mark.id);
    } finally {
      for (const mark of marks) this.#settle(mark.id, mark.generation);
    }
  }

  /** Makes a delete of each id the article's latest operation (`ackSeqs`: the delete's own journal rows, when it has them). */
  #markDeletes(ids: readonly string[], ackSeqs: readonly number[] | undefined): DeleteMark[] {
    return ids.map((id, index) => {
      const mark = {
        id,
        hadPending: this.#latest.has(id) && !this.#deleting.has(id),
        throughSeq: Math.max(this.#latestAckSeq.get(id) ?? 0, ackSeqs?.[index] ?? 0),
        generation: this.#bumpLatest(id, ackSeqs?.[index]),
      };
      this.#deleting.add(id);
      return mark;
    });
  }

  /**
   * Applies journaled deletes: the stored rows go (through the write queue, which `deleteStored`
   * joins now, so before any later write of these articles is stored), then the journal rows up
   * to each delete's own. As for writes, only an article's latest operation is applied: a
   * delete a later accepted write superseded before its turn leaves the stored article for that
   * write to replace (so a replay of [delete, write] onto a store holding the write never shows
   * the article gone). A store that fails is tried again later: the delete was acknowledged.
   */
  async #applyDeletes(marks: DeleteMark[], deleteStored: DeleteStored): Promise<string[]> {
    const generationOf = new Map(marks.map((mark) => [mark.id, mark.generation]));
    const stillWanted = (id: string) => this.#latest.get(id) === generationOf.get(id);
    let deleted: Set<string>;
    for (;;) {
      try {
        deleted = new Set(
          await deleteStored(
            marks.map((mark) => mark.id),
            stillWanted,
          ),
        );
        break;
      } catch (error) {
        this.#onError(
          error,
          marks.map((mark) => mark.id),
        );
        await new Promise((resolve) => setTimeout(resolve, retryDelayMs).unref());
      }
    }
    try {
      await this.#writer.removeFromJournal(marks.map(({ id, throughSeq }) => ({ id, throughSeq })));
    } catch (error) {
      // Applied: a replay after a crash finds nothing to delete. Left in the journal until then.
      this.#onError(
        error,
        marks.map((mark) => mark.id),
      );
    }
    for (const mark of marks) this.#settle(mark.id, mark.generation);
    return marks.filter((mark) => deleted.has(mark.id) || mark.hadPending).map((mark) => mark.id);
  }

  /** Resolves once no accepted write of `id` waits to be stored (a metadata update goes after them). */
  settled(id: string): Promise<void> {
    if (!this.#latest.has(id)) return Promise.resolve();
    return new Promise((resolve) => {
      const waiters = this.#settledWaiters.get(id) ?? [];
      waiters.push(resolve);
      this.#settledWaiters.set(id, waiters);
    });
  }

  #bumpLatest(id: string, ackSeq: number | undefined): number {
    const generation = ++this.#generation;
    this.#latest.set(id, generation);
    this.#deleting.delete(id);
    if (ackSeq !== undefined) this.#latestAckSeq.set(id, Math.max(ackSeq, this.#latestAckSeq.get(id) ?? 0));
    return generation;
  }

  #settle(id: string, generation: number): void {
    if (this.#latest.get(id) !== generation) return;
    this.#latest.delete(id);
    this.#deleting.delete(id);
    this.#latestAckSeq.delete(id);
    const waiters = this.#settledWaiters.get(id);
    this.#settledWaiters.delete(id);
    for (const wake of waiters ?? []) wake();
  }

  #enqueue(entries: readonly { article: Article; ackSeq: number }[], acceptedAt: number): Promise<Map<string, WriteOutcome>> {
    const articles = entries.map(({ article, ackSeq }) => ({ article, ackSeq, generation: this.#bumpLatest(article.id, ackSeq) }));
    this.#backlog.addPending(backlogSizeOf(articles.map((item) => item.article)));
    return new Promise((resolve, reject) => {
      this.#queue.push({ articles, acceptedAt, resolve, reject });
      this.#pump();
    });
  }

  #pump(): void {
    while (this.#inFlight < maxWritesInFlight && this.#queue.length > 0) {
      const request = this.#queue.shift()!;
      this.#inFlight++;
      void this.#store(request).finally(() => {
        this.#inFlight--;
        this.#pump();
      });
    }
  }

  async #store(request: AcceptedRequest): Promise<void> {
    const isLatest = (item: AcceptedArticle) => this.#latest.get(item.article.id) === item.generation;
    const generationOf = new Map(request.articles.map((item) => [item.article.id, item.generation]));
    const wanted = request.articles.filter(isLatest);
    let outcomes: WriteOutcome[];
    try {
      outcomes =
        wanted.length === 0
          ? []
          : await this.#writes.write(
              wanted.map((item) => item.article),
              { stillWanted: (id) => this.#latest.get(id) === generationOf.get(id) },
            );
    } catch (error) {
      this.#failed(request, error);
      return;
    }
    try {
      await this.#writer.removeFromJournal(request.articles.map((item) => ({ id: item.article.id, throughSeq: item.ackSeq })));
    } catch (error) {
      // Stored: a replay after a crash finds them unchanged. Left in the journal until then.
      this.#onError(
        error,
        request.articles.map((item) => item.article.id),
      );
    }
    this.#done(request);
    request.resolve(new Map(outcomes.map((outcome) => [outcome.id, outcome])));
    const stored = outcomes.length;
    void this.#afterApplied()
      .then(() => {
        if (stored > 0) this.#recordFreshness(Date.now() - request.acceptedAt);
      })
      .catch((error: unknown) => this.#onError(error, []));
  }

  /**
   * A write refused for its content (a URL another article has, a text the model cannot take)
   * would be refused again: a batch is retried article by article, a single article is dropped
   * from the journal and logged. Anything else (the store writer failing) is retried later: the
   * write was acknowledged and stays owed.
   */
  #failed(request: AcceptedRequest, error: unknown): void {
    const ids = request.articles.map((item) => item.article.id);
    if (isKindredError(error)) {
      if (request.articles.length > 1) {
        const singles = request.articles.map(
          (item) =>
            new Promise<Map<string, WriteOutcome>>((resolve, reject) =>
              this.#queue.unshift({ articles: [item], acceptedAt: request.acceptedAt, resolve, reject }),
            ),
        );
        Promise.allSettled(singles).then((settled) => {
          const merged = new Map<string, WriteOutcome>();
          for (const result of settled) if (result.status === "fulfilled") for (const [id, outcome] of result.value) merged.set(id, outcome);
          const failure = settled.find((result) => result.status === "rejected");
          if (failure !== undefined && merged.size === 0) request.reject(failure.reason);
          else request.resolve(merged);
        });
        // The singles carry the articles (and their count in pendingArticles) from here.
        return;
      }
      this.#onError(error, ids);
      void this.#writer
        .removeFromJournal(request.articles.map((item) => ({ id: item.article.id, throughSeq: item.ackSeq })))
        .catch((removeError: unknown) => this.#onError(removeError, ids));
      this.#done(request);
      request.reject(error);
      return;
    }
    this.#onError(error, ids);
    setTimeout(() => {
      this.#queue.unshift(request);
      this.#pump();
    }, retryDelayMs).unref();
  }

  #done(request: AcceptedRequest): void {
    this.#backlog.removePending(backlogSizeOf(request.articles.map((item) => item.article)));
    for (const item of request.articles) this.#settle(item.article.id, item.generation);
  }

  #recordFreshness(ms: number): void {
    if (this.#freshnessMs.length < freshnessSamples) this.#freshnessMs.push(ms);
    else this.#freshnessMs[this.#freshnessNext] = ms;
    this.#freshnessNext = (this.#freshnessNext + 1) % freshnessSamples;
  }
}
