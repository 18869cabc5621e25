import type { Article } from "../core/article.ts";

/**
 * The backlog of accepted articles not yet stored, beyond which a new write waits for it to
 * shrink before it is journaled and answered: what bounds the acknowledgement-to-lists lag and
 * memory when writes come faster than the model embeds, and what lets a client sending as fast
 * as it is answered see the model's real pace. Bounded in articles and in title and text
 * characters (what memory and embedding time follow). Deep enough that writes sent at a pace the
 * model keeps up with, which come in bursts (batches), do not wait for room: a wait there
 * puts the model's pace into the answer of a write the model could have taken in stride. A
 * write larger than the bound waits for an empty backlog.
 */
export const maxAcceptedBacklogArticles = 64;
export const maxAcceptedBacklogChars = 8 * 1024 * 1024;

/** A write's share of the backlog. */
export interface BacklogSize {
  articles: number;
  chars: number;
}

/** The backlog share of these articles. */
export function backlogSizeOf(articles: readonly Article[]): BacklogSize {
  return { articles: articles.length, chars: articles.reduce((sum, article) => sum + article.title.length + article.body.length, 0) };
}

/**
 * Counts the backlog (accepted articles not yet stored, and writes let in and still being
 * journaled) and lets waiting writes in, first come first served, while it has room.
 */
export class AcceptedBacklog {
  readonly #pending: BacklogSize = { articles: 0, chars: 0 };
  readonly #reserved: BacklogSize = { articles: 0, chars: 0 };
  readonly #waiters: { size: BacklogSize; wake: () => void }[] = [];

  /** Accepted articles not yet stored. */
  get pendingArticles(): number {
    return this.#pending.articles;
  }

  /** Resolves once the write has room (at once when it has and no write waits before it); its room is reserved then. */
  async reserve(size: BacklogSize, onWait: (wait: Promise<void>) => Promise<void>): Promise<void> {
    if (this.#waiters.length === 0 && this.#hasRoomFor(size)) {
      add(this.#reserved, size, 1);
      return;
    }
    await onWait(new Promise<void>((wake) => this.#waiters.push({ size, wake })));
  }

  /** The write's reservation ends (journaled, and counted as pending; or refused). */
  release(size: BacklogSize): void {
    add(this.#reserved, size, -1);
    this.#admitWaiting();
  }

  addPending(size: BacklogSize): void {
    add(this.#pending, size, 1);
  }

  removePending(size: BacklogSize): void {
    add(this.#pending, size, -1);
    this.#admitWaiting();
  }

  #hasRoomFor(size: BacklogSize): boolean {
    const articles = this.#pending.articles + this.#reserved.articles;
    const chars = this.#pending.chars + this.#reserved.chars;
    return articles === 0 || (articles + size.articles <= maxAcceptedBacklogArticles && chars + size.chars <= maxAcceptedBacklogChars);
  }

  #admitWaiting(): void {
    while (this.#waiters.length > 0 && this.#hasRoomFor(this.#waiters[0]!.size)) {
      const next = this.#waiters.shift()!;
      add(this.#reserved, next.size, 1);
      next.wake();
    }
  }
}

function add(total: BacklogSize, size: BacklogSize, sign: 1 | -1): void {
  total.articles += sign * size.articles;
  total.chars += sign * size.chars;
}
