/**
 * The serving figures the speed issue (issue 14) measures its targets against: the last quiet
 * `npm run bench` run of those sections before the work on them (bench/results.json at
 * 57530b0 carried them from the run of 2026-11-25: relatedLatency at eed5079, http at 42afb2e;
 * load average in each entry), kept here so every run prints its figures beside them
 * (render-results.ts).
 */
export const servingBaselines = Object.freeze({
  commit: "2026-11-25 (eed5079, 42afb2e)",
  /** In-process computed hybrid related-by-id, k=10, 5,000 queries (bench/related-latency.ts). */
  relatedInProcess: {
    demo: { p50Ms: 7.271, p99Ms: 12.189, loadAverage: 1.56 },
    "100k synthetic": { p50Ms: 4.846, p99Ms: 9.645, loadAverage: 1.02 },
  } as Record<string, { p50Ms: number; p99Ms: number; loadAverage: number }>,
  /** HTTP computed hybrid related-by-id at 100k, 10 connections (bench/http-load.ts): maximum rate, p99 at half of it. */
  httpRelated100k: { requestsPerSecond: 183, halfLoadP99Ms: 132.15, loadAverage: 0.9 },
});

/** Issue 14's targets on those figures. */
export const servingTargets = Object.freeze({
  relatedP50Ms: 1.5,
  relatedP99Ms: 4,
  /** The maximum HTTP rate over the baseline's. */
  httpRateRatio: 4,
  /** p99 at half the maximum rate. */
  httpHalfLoadP99Ms: 30,
});
