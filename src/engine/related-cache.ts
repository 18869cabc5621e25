import { type ArticleChange, couldChangeList, type ListDependencies, lexicalStatisticsChanged } from "../core/cache/list-invalidation.ts";
import type { CatalogEntry } from "../core/related/catalog-entry.ts";

interface CachedList<T> {
  value: T;
  dependencies: ListDependencies;
  /** What `set` was told the list holds, in bytes. */
  bytes: number;
  /** Position in the change journal up to which this list has been checked. */
  checkedThrough: number;
}

/** Lookups the cache needs from the indexes, as they are now. */
export interface CurrentState {
  entry(label: number): CatalogEntry | undefined;
  /** Cosine similarity of two stored articles now. */
  score(queryLabel: number, label: number): number;
  /** Whether a stored article's text holds any of these stems now. */
  holdsAnyTerm?(label: number, stems: ReadonlySet<string>): boolean;
  /** The store's lexical version now (see `lexicalStatisticsChanged`). */
  lexicalVersion?(): number;
}

/**
 * Related lists in memory, bounded (least recently used first out), that are never served
 * stale. Every change applied to the indexes is appended to a journal of changed labels; a
 * lookup checks its list against the changes since the list was last checked, with the pure
 * rule in core/cache/list-invalidation.ts, and drops it if any could alter it. So a write
 * costs O(1) here however many lists are cached, each list pays only for the changes since it
 * was last read, and a list no change could reach stays cached (and keeps its ETag).
 *
 * The journal is bounded too: a list older than the journal's start is dropped on lookup.
 *
 * @example
 *   const cache = new RelatedCache<Answer>(10_000);
 *   cache.set(key, answer, dependencies); cache.recordChange(label); cache.get(key, state);
 */
export class RelatedCache<T> {
  readonly maxEntries: number;
  /** Bound on the bytes the cached lists hold (their estimates); least recently used out first. */
  readonly maxBytes: number;
  #bytes = 0;
  readonly #maxJournal: number;
  readonly #lists = new Map<string, CachedList<T>>();
  #journal: number[] = [];
  /** Journal position of `#journal[0]`. */
  #journalStart = 0;
  #hits = 0;
  #misses = 0;
  #invalidated = 0;
  /** Lists that depend on the lexical statistics, in the order set, from `#lexicalHead` on (keys may since be gone or set again). */
  #lexicalOrder: { version: number; key: string }[] = [];
  #lexicalHead = 0;

  constructor(maxEntries: number, maxJournal = 100_000, maxBytes = Infinity) {
    this.maxEntries = maxEntries;
    this.maxBytes = maxBytes;
    this.#maxJournal = maxJournal;
  }

  get size(): number {
    return this.#lists.size;
  }

  stats() {
    return {
      entries: this.#lists.size,
      bytes: this.#bytes,
      max_bytes: Number.isFinite(this.maxBytes) ? this.maxBytes : null,
      hits: this.#hits,
      misses: this.#misses,
      invalidated: this.#invalidated,
    };
  }

  /** The cached value, or undefined when absent or when a change since could have altered it. */
  get(key: string, state: CurrentState): T | undefined {
    const list = this.#lists.get(key);
    if (list === undefined) {
      this.#misses++;
      return undefined;
    }
    if (!this.#stillValid(list, state)) {
      this.#delete(key);
      this.#invalidated++;
      this.#misses++;
      return undefined;
    }
    list.checkedThrough = this.#journalEnd();
    this.#lists.delete(key);
    this.#lists.set(key, list);
    this.#hits++;
    return list.value;
  }

  /**
   * Caches a list; `bytes` is what it holds (an estimate; lists over the whole byte bound are not
   * kept). `computedFrom`: the `position()` when its computation began, for a list computed across
   * an await (changes recorded meanwhile are checked on its first lookup); default now.
   */
  set(key: string, value: T, dependencies: ListDependencies, bytes = 0, computedFrom = this.#journalEnd()): void {
    if (this.maxEntries <= 0 || bytes > this.maxBytes) return;
    this.#delete(key);
    this.#lists.set(key, { value, dependencies, bytes, checkedThrough: computedFrom });
    this.#bytes += bytes;
    while (this.#lists.size > this.maxEntries || this.#bytes > this.maxBytes) this.#delete(this.#lists.keys().next().value!);
    if (dependencies.lexicalVersion === undefined) return;
    this.#lexicalOrder.push({ version: dependencies.lexicalVersion, key });
    if (this.#lexicalOrder.length - this.#lexicalHead > 2 * this.#lists.size + 1024) this.#rebuildLexicalOrder();
  }

  /**
   * Drops the lists computed on older lexical statistics than `versionNow` (the store's version
   * only goes up, so `get` would drop each at its next lookup anyway): under a steady flow of
   * writes every list cached before the last text change is dead, and would otherwise hold its
   * memory, and the catalog entries it shows after the catalog has replaced them, until the
   * least recently used bound pushed it out.
   */
  dropLexicallyOlder(versionNow: number): void {
    const order = this.#lexicalOrder;
    while (this.#lexicalHead < order.length && order[this.#lexicalHead]!.version < versionNow) {
      const { key, version } = order[this.#lexicalHead++]!;
      if (this.#lists.get(key)?.dependencies.lexicalVersion !== version) continue;
      this.#delete(key);
      this.#invalidated++;
    }
    if (this.#lexicalHead > 1024 && this.#lexicalHead * 2 > order.length) {
      this.#lexicalOrder = order.slice(this.#lexicalHead);
      this.#lexicalHead = 0;
    }
  }

  /** The order of lists still cached only (keys evicted or set again pile up when no text changes). */
  #rebuildLexicalOrder(): void {
    this.#lexicalOrder = [];
    this.#lexicalHead = 0;
    for (const [key, list] of this.#lists) {
      const version = list.dependencies.lexicalVersion;
      if (version !== undefined) this.#lexicalOrder.push({ version, key });
    }
  }

  #delete(key: string): void {
    const list = this.#lists.get(key);
    if (list === undefined) return;
    this.#bytes -= list.bytes;
    this.#lists.delete(key);
  }

  /** Where the change journal stands now (see `set`). */
  position(): number {
    return this.#journalEnd();
  }

  /** Notes that an article (by label) was added, changed or deleted. */
  recordChange(label: number): void {
    if (this.#lists.size === 0) {
      // Nothing cached can depend on it: skip the journal.
      this.#journalStart += this.#journal.length + 1;
      this.#journal = [];
      return;
    }
    this.#journal.push(label);
    if (this.#journal.length > this.#maxJournal) {
      const dropped = this.#journal.length - this.#maxJournal / 2;
      this.#journal = this.#journal.slice(dropped);
      this.#journalStart += dropped;
    }
  }

  /** Forgets everything (the indexes were reloaded). */
  clear(): void {
    this.#lists.clear();
    this.#lexicalOrder = [];
    this.#lexicalHead = 0;
    this.#bytes = 0;
    this.#journalStart += this.#journal.length;
    this.#journal = [];
  }

  #journalEnd(): number {
    return this.#journalStart + this.#journal.length;
  }

  #stillValid(list: CachedList<T>, state: CurrentState): boolean {
    if (list.checkedThrough < this.#journalStart) return false;
    const seen = new Set<number>();
    const { dependencies } = list;
    if (state.lexicalVersion !== undefined && lexicalStatisticsChanged(dependencies, state.lexicalVersion())) return false;
    for (let position = list.checkedThrough - this.#journalStart; position < this.#journal.length; position++) {
      const label = this.#journal[position]!;
      if (seen.has(label)) continue;
      seen.add(label);
      const change: ArticleChange = {
        label,
        current: state.entry(label),
        scoreNow: () => state.score(dependencies.queryLabel, label),
        ...(state.holdsAnyTerm === undefined ? {} : { holdsAnyTerm: (stems: ReadonlySet<string>) => state.holdsAnyTerm!(label, stems) }),
      };
      if (couldChangeList(dependencies, change)) return false;
    }
    return true;
  }
}
