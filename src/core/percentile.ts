/**
 * The value at `percent` (0-100) of an ascending array by the nearest-rank method, so p99 of
 * 100 samples is the 99th, a value that was actually observed. NaN when there are none.
 *
 * @example
 *   percentileOf([1, 2, 3, 4], 50); // 2
 */
export function percentileOf(sortedAscending: readonly number[], percent: number): number {
  if (sortedAscending.length === 0) return Number.NaN;
  const rank = Math.ceil((percent / 100) * sortedAscending.length);
  return sortedAscending[Math.min(sortedAscending.length, Math.max(1, rank)) - 1]!;
}
