import { AsyncLocalStorage } from "node:async_hooks";
import type { ArticleStore, ArticleWrite, WriteOutcome } from "../store/article-store.ts";
import type { LiveIndexes } from "./live-indexes.ts";
import type { StoreWriter } from "./store-writer.ts";
import { announceCommit } from "./write-commits.ts";
import type { WriteQueue } from "./write-queue.ts";
import { recordWritePhase } from "./write-timings.ts";

/** One embedded write waiting for its turn to be stored. */
export interface CommitRequest {
  modelId: string;
  /** Title and text characters, to bound a group like one chunk of a write. */
  chars: number;
  /**
   * The articles to store, as of now: run with writes held off, it embeds again any article a
   * concurrent write changed since (so it may reject, e.g. when the model fails).
   */
  collect: () => Promise<ArticleWrite[]>;
  /** Called once the articles are stored (the passage vectors are worth remembering then). */
  onStored: () => void;
}

interface Waiting extends CommitRequest {
  queuedMs: number;
  /** Runs a callback in the asynchronous context of the request that made the write (its timings, its commit listener). */
  inContext: <R>(fn: () => R) => R;
  resolve: (outcomes: WriteOutcome[]) => void;
  reject: (error: unknown) => void;
}

/**
 * Group commit: embedded writes that wait for the write queue together are stored in one
 * transaction (one fsync, one change-log replay onto the indexes) when their turn comes, rather
 * one after another, each behind the last one's transaction and replay. A group that the store
 * refuses as a whole (one article's URL taken by another, a model switch) is stored again one
 * write at a time, so each write still succeeds or fails on its own. Writes of one group are
 * stored in the order they came, so two writes of the same article end as the later one.
 */
export class GroupCommit {
  readonly #parts: { store: ArticleStore; writer: StoreWriter; live: LiveIndexes; queue: WriteQueue; maxChars: number };
  #waiting: Waiting[] = [];
  #scheduled = false;

  constructor(parts: { store: ArticleStore; writer: StoreWriter; live: LiveIndexes; queue: WriteQueue; maxChars: number }) {
    this.#parts = parts;
  }

  /** Stores the write with any others waiting beside it; resolves with its own outcomes. */
  commit(request: CommitRequest): Promise<WriteOutcome[]> {
    return new Promise((resolve, reject) => {
      this.#waiting.push({ ...request, queuedMs: performance.now(), inContext: AsyncLocalStorage.snapshot(), resolve, reject });
      this.#schedule();
    });
  }

  #schedule(): void {
    if (this.#scheduled || this.#waiting.length === 0) return;
    this.#scheduled = true;
    void this.#parts.queue.run(() => this.#commitWaiting());
  }

  /** Takes the writes waiting now (of one model, within the size bound) and stores them together. */
  async #commitWaiting(): Promise<void> {
    this.#scheduled = false;
    const group: Waiting[] = [];
    let chars = 0;
    for (const write of this.#waiting) {
      if (group.length > 0 && (write.modelId !== group[0]!.modelId || chars + write.chars > this.#parts.maxChars)) continue;
      group.push(write);
      chars += write.chars;
    }
    this.#waiting = this.#waiting.filter((write) => !group.includes(write));
    // The rest go next, behind this group.
    this.#schedule();
    const startedMs = performance.now();
    for (const write of group) write.inContext(() => recordWritePhase("queue", startedMs - write.queuedMs));
    try {
      // A concurrent write (here, or on another replica) may have changed an article's text since each looked.
      await this.#parts.store.catchUp?.();
      const collected = await Promise.all(
        group.map((write) =>
          write
            .inContext(() => write.collect())
            .then(
              (writes) => ({ write, writes }),
              (error: unknown) => ({ write, error }),
            ),
        ),
      );
      const ready: { write: Waiting; writes: ArticleWrite[] }[] = [];
      for (const item of collected) {
        if ("error" in item) item.write.reject(item.error);
        else ready.push(item);
      }
      const stored = ready.length === 0 ? [] : await this.#store(ready);
      if (stored.length > 0) await this.#apply(stored.map(({ write }) => write));
      for (const { write, outcomes } of stored) write.resolve(outcomes);
    } catch (error) {
      // Applying to the indexes failed after the store took the writes: as before group commit, the writes fail.
      for (const write of group) write.reject(error);
    }
  }

  /** One transaction for the group; if the store refuses it, one per write. Returns the writes stored. */
  async #store(ready: { write: Waiting; writes: ArticleWrite[] }[]): Promise<{ write: Waiting; outcomes: WriteOutcome[] }[]> {
    const { writer, store } = this.#parts;
    const modelId = ready[0]!.write.modelId;
    if (ready.length > 1) {
      const startedMs = performance.now();
      const outcomes = await writer
        .writeArticles(
          ready.flatMap((item) => item.writes),
          modelId,
        )
        .catch(() => null);
      if (outcomes !== null) {
        const commitMs = performance.now() - startedMs;
        let next = 0;
        return ready.map(({ write, writes }) => {
          const own = outcomes.slice(next, next + writes.length);
          next += writes.length;
          this.#stored(write, own, commitMs);
          return { write, outcomes: own };
        });
      }
    }
    const stored: { write: Waiting; outcomes: WriteOutcome[] }[] = [];
    for (const [index, { write, writes }] of ready.entries()) {
      try {
        // After a refused group, each write is looked at afresh: an earlier one of the group may have changed its articles.
        let current = writes;
        if (ready.length > 1 && index > 0) {
          await store.catchUp?.();
          current = await write.inContext(() => write.collect());
        }
        const startedMs = performance.now();
        const outcomes = await writer.writeArticles(current, modelId);
        this.#stored(write, outcomes, performance.now() - startedMs);
        stored.push({ write, outcomes });
      } catch (error) {
        write.reject(error);
      }
    }
    return stored;
  }

  #stored(write: Waiting, outcomes: WriteOutcome[], commitMs: number): void {
    write.inContext(() => {
      recordWritePhase("commit", commitMs);
      // Unchanged articles too: their answer says they are stored, so the readers must hold them.
      announceCommit(outcomes.map((outcome) => outcome.seq));
    });
    write.onStored();
  }

  async #apply(writes: readonly Waiting[]): Promise<void> {
    const startedMs = performance.now();
    await this.#parts.live.applyChanges();
    const applyMs = performance.now() - startedMs;
    for (const write of writes) write.inContext(() => recordWritePhase("apply", applyMs));
  }
}
