/**
 * A duration for a progress bar: `35s`, `4m00s`, `1h02m`. Rounds the whole duration first
 * (to a multiple of `roundToSeconds`) and then splits it, so a carry moves into the minutes:
 * cli-progress' own formatter rounds the seconds part alone and prints `3m60s` for 239.8 s.
 *
 * @example
 *   formatDuration(239.8, 5); // "4m00s"
 */
export function formatDuration(seconds: number, roundToSeconds = 1): string {
  if (!Number.isFinite(seconds) || seconds < 0) return "--";
  const step = Math.max(1, roundToSeconds);
  const total = seconds > 10 ? step * Math.round(seconds / step) : Math.round(seconds);
  const pad = (value: number) => String(value).padStart(2, "0");
  if (total >= 3600) {
    const minutes = Math.round(total / 60);
    return `${Math.floor(minutes / 60)}h${pad(minutes % 60)}m`;
  }
  if (total >= 60) return `${Math.floor(total / 60)}m${pad(total % 60)}s`;
  return `${total}s`;
}
