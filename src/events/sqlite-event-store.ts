import { mkdirSync } from "node:fs";
import { join } from "node:path";
import Database from "better-sqlite3";
import { type EventCount, type EventStats, summarizeEventCounts } from "./event-counts.ts";

/** The events database beside the articles' (its own file: counting never waits on article writes). */
export const eventsFileName = "events.sqlite";

/** Where impression and click counts are kept; a port small enough for a PostgreSQL twin. */
export interface EventStore {
  /** Adds counts (one transaction). */
  add(counts: readonly EventCount[]): void;
  /** CTR by placement and position over days `from`..`to` (inclusive, `YYYY-MM-DD`). */
  stats(from: string, to: string): EventStats;
  /** Placements that have counts. */
  placements(): string[];
  /** Drops days before `day`; returns the rows dropped. */
  dropBefore(day: string): number;
  close(): void;
}

/**
 * Counts only, aggregated per day, placement, position and article: no IP address, no cookie,
 * no per-event row, so the table grows with days x placements x positions x articles shown,
 * never with traffic. synchronous=NORMAL (WAL): a power cut may lose the last counts flushed,
 * which a click statistic can afford and an article write cannot.
 */
export class SqliteEventStore implements EventStore {
  readonly #db: Database.Database;
  readonly #upsert;
  readonly #range;
  readonly #placements;
  readonly #dropBefore;

  private constructor(db: Database.Database) {
    this.#db = db;
    this.#upsert = db.prepare<[string, string, number, string, number, number]>(
      `INSERT INTO event_counts(day, placement, position, article_id, impressions, clicks) VALUES (?, ?, ?, ?, ?, ?)
       ON CONFLICT(day, placement, position, article_id) DO UPDATE SET impressions = impressions + excluded.impressions, clicks = clicks + excluded.clicks`,
    );
    this.#range = db.prepare<[string, string], { placement: string; position: number; impressions: number; clicks: number }>(
      `SELECT placement, position, SUM(impressions) AS impressions, SUM(clicks) AS clicks FROM event_counts
       WHERE day BETWEEN ? AND ? GROUP BY placement, position`,
    );
    this.#placements = db.prepare<[], { placement: string }>("SELECT DISTINCT placement FROM event_counts");
    this.#dropBefore = db.prepare<[string]>("DELETE FROM event_counts WHERE day < ?");
  }

  static open(dataDir: string): SqliteEventStore {
    mkdirSync(dataDir, { recursive: true });
    const db = new Database(join(dataDir, eventsFileName));
    db.pragma("journal_mode = WAL");
    db.pragma("synchronous = NORMAL");
    db.pragma("busy_timeout = 5000");
    db.exec(`CREATE TABLE IF NOT EXISTS event_counts (
      day TEXT NOT NULL,
      placement TEXT NOT NULL,
      position INTEGER NOT NULL,
      article_id TEXT NOT NULL,
      impressions INTEGER NOT NULL DEFAULT 0,
      clicks INTEGER NOT NULL DEFAULT 0,
      PRIMARY KEY (day, placement, position, article_id)
    ) WITHOUT ROWID`);
    return new SqliteEventStore(db);
  }

  add(counts: readonly EventCount[]): void {
    this.#db.transaction(() => {
      for (const count of counts) this.#upsert.run(count.day, count.placement, count.position, count.articleId, count.impressions, count.clicks);
    })();
  }

  stats(from: string, to: string): EventStats {
    return summarizeEventCounts(from, to, this.#range.all(from, to));
  }

  placements(): string[] {
    return this.#placements.all().map((row) => row.placement);
  }

  dropBefore(day: string): number {
    return this.#dropBefore.run(day).changes;
  }

  close(): void {
    if (this.#db.open) this.#db.close();
  }
}
