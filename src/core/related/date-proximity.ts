const dayMs = 86_400_000;

/**
 * How close in time two dated articles were published: exp(-|days apart| / `days`), 1 for the
 * same moment. One event is reported within days; the fusion's proximity part and its
 * same-event evidence for dated pairs both read it.
 *
 * @example
 *   dateProximity(Date.UTC(2025, 2, 2), Date.UTC(2025, 2, 16), 14) // exp(-1) ≈ 0.368
 */
export function dateProximity(queryMs: number, candidateMs: number, days: number): number {
  return Math.exp(-Math.abs(candidateMs - queryMs) / dayMs / days);
}
