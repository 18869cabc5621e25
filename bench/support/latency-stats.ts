import { percentileOf } from "../../src/core/percentile.ts";

/** Summary of a latency sample: the percentiles the README reports, in milliseconds. */
export interface LatencySummary {
  count: number;
  meanMs: number;
  p50Ms: number;
  p99Ms: number;
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
