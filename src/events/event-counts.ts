/** One kind of widget event: the box was shown (per position) or a result was clicked. */
export type EventType = "impression" | "click";

/** Counts for one day, placement, position and result article: all kindred keeps of events. */
export interface EventCount {
  /** UTC day the events arrived, `YYYY-MM-DD`. */
  day: string;
  placement: string;
  position: number;
  articleId: string;
  impressions: number;
  clicks: number;
}

export interface RateRow {
  impressions: number;
  clicks: number;
  /** clicks / impressions, or null without impressions. */
  ctr: number | null;
}

/** Click-through rates by placement and, within each, by position. */
export interface EventStats {
  from: string;
  to: string;
  totals: RateRow;
  placements: (RateRow & { placement: string; positions: (RateRow & { position: number })[] })[];
}

/** The rate row of some counts (CTR rounded to 6 places). */
export function rateOf(impressions: number, clicks: number): RateRow {
  return { impressions, clicks, ctr: impressions === 0 ? null : Math.round((clicks / impressions) * 1e6) / 1e6 };
}

/**
 * Summarises aggregated rows into CTR by placement and position (pure, so a PostgreSQL store
 * can return the same rows and share it).
 */
export function summarizeEventCounts(
  from: string,
  to: string,
  rows: readonly { placement: string; position: number; impressions: number; clicks: number }[],
): EventStats {
  const byPlacement = new Map<string, Map<number, { impressions: number; clicks: number }>>();
  let impressions = 0;
  let clicks = 0;
  for (const row of rows) {
    let positions = byPlacement.get(row.placement);
    if (positions === undefined) {
      positions = new Map();
      byPlacement.set(row.placement, positions);
    }
    const sum = positions.get(row.position) ?? { impressions: 0, clicks: 0 };
    sum.impressions += row.impressions;
    sum.clicks += row.clicks;
    positions.set(row.position, sum);
    impressions += row.impressions;
    clicks += row.clicks;
  }
  const placements = [...byPlacement.entries()]
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([placement, positions]) => {
      const sorted = [...positions.entries()].sort(([a], [b]) => a - b);
      const total = sorted.reduce((sum, [, counts]) => ({ impressions: sum.impressions + counts.impressions, clicks: sum.clicks + counts.clicks }), {
        impressions: 0,
        clicks: 0,
      });
      return {
        placement,
        ...rateOf(total.impressions, total.clicks),
        positions: sorted.map(([position, counts]) => ({ position, ...rateOf(counts.impressions, counts.clicks) })),
      };
    });
  return { from, to, totals: rateOf(impressions, clicks), placements };
}
