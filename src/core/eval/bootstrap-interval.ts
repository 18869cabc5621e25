import { mulberry32 } from "../seeded-random.ts";

/** A mean with its 95% bootstrap confidence interval. */
export interface Interval {
  mean: number;
  low: number;
  high: number;
}

/**
 * The mean of per-query values and its 95% percentile bootstrap interval (Efron and Tibshirani
 * 1993): resample the queries with replacement `resamples` times and take the 2.5th and 97.5th
 * percentiles of the resampled means. Seeded, so a report is reproducible. Null values (queries
 * a metric does not apply to) are left out; null when none is left.
 *
 * @example
 *   bootstrapInterval([0.9, 1, 0.8, 0.7]); // { mean: 0.85, low: 0.75, high: 0.95 }
 */
export function bootstrapInterval(values: readonly (number | null)[], resamples = 2_000, seed = 1): Interval | null {
  const present = values.filter((value): value is number => value !== null);
  const n = present.length;
  if (n === 0) return null;
  const mean = present.reduce((sum, value) => sum + value, 0) / n;
  const random = mulberry32(seed);
  const means = new Float64Array(resamples);
  for (let r = 0; r < resamples; r++) {
    let sum = 0;
    for (let i = 0; i < n; i++) sum += present[Math.floor(random() * n)]!;
    means[r] = sum / n;
  }
  means.sort();
  return { mean, low: means[Math.floor(0.025 * (resamples - 1))]!, high: means[Math.ceil(0.975 * (resamples - 1))]! };
}

/** The interval of the paired difference a - b over the queries both apply to. */
export function pairedDifferenceInterval(a: readonly (number | null)[], b: readonly (number | null)[], resamples = 2_000, seed = 1): Interval | null {
  return bootstrapInterval(
    a.map((value, index) => (value === null || b[index] == null ? null : value - b[index]!)),
    resamples,
    seed,
  );
}
