/** Summary of a latency sample: the percentiles the README reports, in milliseconds. */
export interface LatencySummary {
  count: number;
  meanMs: number;
  p50Ms: number;
  p99Ms: number;
}

/**
 * Percentile by the nearest-rank method on an ascending array (so p99 of 100 samples is the
 * 99th, a value that was actually observed).
 */
export function percentileOf(sortedAscending: readonly number[], percent: number): number {
  if (sortedAscending.length === 0) return Number.NaN;
  const rank = Math.ceil((percent / 100) * sortedAscending.length);
  return sortedAscending[Math.min(sortedAscending.length, Math.max(1, rank)) - 1]!;
}

export function summariseLatencies(samplesMs: readonly number[]): LatencySummary {
  const sorted = [...samplesMs].sort((a, b) => a - b);
  const totalMs = sorted.reduce((sum, value) => sum + value, 0);
  return {
    count: sorted.length,
    meanMs: roundTo(totalMs / Math.max(1, sorted.length), 4),
    p50Ms: roundTo(percentileOf(sorted, 50), 4),
    p99Ms: roundTo(percentileOf(sorted, 99), 4),
  };
}

/** Runs `work` and returns its result with the wall-clock milliseconds it took. */
export async function timeAsync<T>(work: () => Promise<T>): Promise<{ result: T; elapsedMs: number }> {
  const startedMs = performance.now();
  const result = await work();
  return { result, elapsedMs: performance.now() - startedMs };
}

export function timeSync<T>(work: () => T): { result: T; elapsedMs: number } {
  const startedMs = performance.now();
  const result = work();
  return { result, elapsedMs: performance.now() - startedMs };
}

export function roundTo(value: number, digits: number): number {
  return Number.isFinite(value) ? Number(value.toFixed(digits)) : value;
}

/** `a / b`, rounded; NaN when the baseline is missing or zero. */
export function ratioOf(value: number, baseline: number, digits = 2): number {
  return baseline > 0 && Number.isFinite(value) ? roundTo(value / baseline, digits) : Number.NaN;
}
