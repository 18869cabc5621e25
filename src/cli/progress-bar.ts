import cliProgress from "cli-progress";
import { formatDuration } from "./format-duration.ts";

/**
 * A progress bar on stderr: done/total, rate and ETA (GUIDE.md convention 8). On a terminal it
 * redraws in place; in logs and CI it prints a line every few seconds instead.
 */
export function createProgressBar(label: string, total: number | null) {
  const bar = new cliProgress.SingleBar(
    {
      format: `${label} [{bar}] {value}/{total} | {rate}/s | elapsed {duration_formatted} | ETA {eta_formatted}`,
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
  bar.start(total ?? 0, 0, { rate: "0.0" });
  return {
    update(done: number) {
      const seconds = (Date.now() - started) / 1000;
      if (total === null || done > total) bar.setTotal(done);
      bar.update(done, { rate: seconds > 0 ? (done / seconds).toFixed(1) : "0.0" });
    },
    stop() {
      bar.stop();
    },
  };
}
