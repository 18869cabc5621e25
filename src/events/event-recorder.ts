import { KindredError } from "../core/errors.ts";
import type { EventCount, EventStats, EventType } from "./event-counts.ts";
import type { EventStore } from "./sqlite-event-store.ts";

export interface EventRecorderOptions {
  /** Distinct placements kept; events of a further one are refused (bounded storage). */
  maxPlacements: number;
  /** Days of counts kept. */
  retentionDays: number;
  /** How often buffered counts are written. */
  flushIntervalMs: number;
  now?: () => number;
}

/** One validated event as the route hands it over. */
export interface RecordedEvent {
  type: EventType;
  placement: string;
  position: number;
  articleId: string;
}

const dayOf = (ms: number) => new Date(ms).toISOString().slice(0, 10);
/** Counts buffered beyond this many keys are written at once rather than at the next tick. */
const maxBufferedKeys = 10_000;

/**
 * Counts events in memory and writes the sums every `flushIntervalMs` (and before stats are
 * read, and on close): a burst of beacons costs one small transaction a second, not one each.
 * A crash loses at most the last interval's counts.
 */
export class EventRecorder {
  readonly #store: EventStore;
  readonly #options: EventRecorderOptions;
  readonly #buffer = new Map<string, EventCount>();
  readonly #placements: Set<string>;
  readonly #timer: NodeJS.Timeout;
  #prunedDay = "";
  /** Events accepted since start, by type (for /metrics). */
  readonly accepted = { impression: 0, click: 0 };

  constructor(store: EventStore, options: EventRecorderOptions) {
    this.#store = store;
    this.#options = options;
    this.#placements = new Set(store.placements());
    this.#timer = setInterval(() => this.flush(), options.flushIntervalMs);
    this.#timer.unref();
  }

  /** Adds events (all or none: a refused placement refuses the request). */
  record(events: readonly RecordedEvent[]): void {
    for (const event of events) {
      if (!this.#placements.has(event.placement) && this.#placements.size >= this.#options.maxPlacements) {
        throw new KindredError(
          "invalid_body",
          `Placement "${event.placement}" would be placement ${this.#placements.size + 1}; kindred keeps counts for at most ${this.#options.maxPlacements} placements (setting eventMaxPlacements).`,
          { parameter: "placement" },
        );
      }
    }
    const day = dayOf(this.#now());
    for (const event of events) {
      this.#placements.add(event.placement);
      const key = `${day}\u0000${event.placement}\u0000${event.position}\u0000${event.articleId}`;
      let count = this.#buffer.get(key);
      if (count === undefined) {
        count = { day, placement: event.placement, position: event.position, articleId: event.articleId, impressions: 0, clicks: 0 };
        this.#buffer.set(key, count);
      }
      if (event.type === "impression") count.impressions++;
      else count.clicks++;
      this.accepted[event.type]++;
    }
    if (this.#buffer.size >= maxBufferedKeys) this.flush();
  }

  /** Writes buffered counts, and once a day drops days past retention. */
  flush(): void {
    if (this.#buffer.size > 0) {
      const counts = [...this.#buffer.values()];
      this.#buffer.clear();
      this.#store.add(counts);
    }
    const today = dayOf(this.#now());
    if (today !== this.#prunedDay) {
      this.#prunedDay = today;
      if (this.#store.dropBefore(dayOf(this.#now() - this.#options.retentionDays * 86_400_000)) > 0) {
        for (const placement of this.#placements) this.#placements.delete(placement);
        for (const placement of this.#store.placements()) this.#placements.add(placement);
      }
    }
  }

  stats(from: string, to: string): EventStats {
    this.flush();
    return this.#store.stats(from, to);
  }

  /** Today as the recorder counts days (UTC). */
  today(): string {
    return dayOf(this.#now());
  }

  close(): void {
    clearInterval(this.#timer);
    this.flush();
    this.#store.close();
  }

  #now(): number {
    return (this.#options.now ?? Date.now)();
  }
}
