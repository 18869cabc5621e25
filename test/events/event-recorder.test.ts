import { describe, expect, it } from "vitest";
import { EventRecorder } from "../../src/events/event-recorder.ts";
import { SqliteEventStore } from "../../src/events/sqlite-event-store.ts";
import { useTempDir } from "../support/temp-dir.ts";

const day = (iso: string) => Date.parse(`${iso}T12:00:00Z`);

describe("event counts", () => {
  it("aggregates per day, placement, position and article, and survives a restart", () => {
    const dir = useTempDir();
    let now = day("2025-03-01");
    const recorder = new EventRecorder(SqliteEventStore.open(dir), { maxPlacements: 10, retentionDays: 400, flushIntervalMs: 60_000, now: () => now });
    recorder.record([
      { type: "impression", placement: "footer", position: 1, articleId: "a" },
      { type: "impression", placement: "footer", position: 2, articleId: "b" },
      { type: "click", placement: "footer", position: 1, articleId: "a" },
    ]);
    now = day("2025-03-02");
    recorder.record([{ type: "impression", placement: "footer", position: 1, articleId: "a" }]);
    expect(recorder.stats("2025-03-02", "2025-03-02").totals).toEqual({ impressions: 1, clicks: 0, ctr: 0 });
    recorder.close();
    const reopened = new EventRecorder(SqliteEventStore.open(dir), { maxPlacements: 10, retentionDays: 400, flushIntervalMs: 60_000, now: () => now });
    const stats = reopened.stats("2025-03-01", "2025-03-02");
    expect(stats.placements).toEqual([
      {
        placement: "footer",
        impressions: 3,
        clicks: 1,
        ctr: 0.333333,
        positions: [
          { position: 1, impressions: 2, clicks: 1, ctr: 0.5 },
          { position: 2, impressions: 1, clicks: 0, ctr: 0 },
        ],
      },
    ]);
    reopened.close();
  });

  it("drops days past retention, which frees their placements", () => {
    let now = day("2025-01-01");
    const recorder = new EventRecorder(SqliteEventStore.open(useTempDir()), { maxPlacements: 1, retentionDays: 30, flushIntervalMs: 60_000, now: () => now });
    recorder.record([{ type: "impression", placement: "old", position: 1, articleId: "a" }]);
    expect(() => recorder.record([{ type: "impression", placement: "new", position: 1, articleId: "a" }])).toThrow(/at most 1 placements/);
    recorder.flush();
    now = day("2025-03-01");
    recorder.flush();
    expect(recorder.stats("2024-01-01", "2025-12-31").totals.impressions).toBe(0);
    recorder.record([{ type: "impression", placement: "new", position: 1, articleId: "a" }]);
    expect(recorder.stats("2025-03-01", "2025-03-01").placements.map((row) => row.placement)).toEqual(["new"]);
    recorder.close();
  });
});
