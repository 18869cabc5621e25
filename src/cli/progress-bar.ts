import cliProgress from "cli-progress";
import { formatDuration } from "./format-duration.ts";

/**
 * A progress bar on stderr: done/total, rate and ETA (GUIDE.md convention 8). On a terminal it
 * redraws in place; in logs and CI it prints a line every few seconds instead.
 *
 * With `bytes` true, `total` is the size of the input in bytes and the bar follows
 * `update(done, bytesRead)` through it, showing the records done beside the percentage: no
 * pass over the input just to count its records first (which decompressed a `.gz` twice).
 */
export function createProgressBar(label: string, total: number | null, bytes = false) {
  const counts = bytes ? "{percentage}% | {done} articles" : "{value}/{total}";
  const bar = new cliProgress.SingleBar(
    {
      format: `${label} [{bar}] ${counts} | {rate}/s | elapsed {duration_formatted} | ETA {eta_formatted}`,
      barsize: 30,
      stream: process.stderr,
      noTTYOutput: true,
      notTTYSchedule: 5_000,
      etaBuffer: 2_000,
      hideCursor: true,
      formatTime: (seconds: number, _options: unknown, roundTo: number) => formatDuration(seconds, roundTo),
    },
    cliProgress.Presets.shades_classic,
  );
  const started = Date.now();
  bar.start(total ?? 0, 0, { rate: "0.0", done: 0 });
  return {
    update(done: number, bytesRead?: number) {
      const seconds = (Date.now() - started) / 1000;
      const value = bytes ? (bytesRead ?? 0) : done;
      if (total === null || value > total) bar.setTotal(value);
      bar.update(value, { rate: seconds > 0 ? (done / seconds).toFixed(1) : "0.0", done });
    },
    stop() {
      bar.stop();
    },
  };
}
