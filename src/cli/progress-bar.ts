import { createRequire } from "node:module";
import type { SingleBar } from "cli-progress";
import { formatDuration } from "./format-duration.ts";

type CliProgress = typeof import("cli-progress");

export interface ProgressBarOptions {
  /**
   * `total` is the size of the input in bytes and the bar follows `update(done, bytesRead)`
   * through it, showing the records done beside the percentage: no pass over the input just to
   * count its records first (which decompressed a `.gz` twice).
   */
  bytes?: boolean;
  /**
   * Draw nothing until the work has lasted this long: a run over by then (a re-index that
   * changed nothing) prints no bar and never loads the bar's library.
   */
  showAfterMs?: number;
}

/**
 * A progress bar on stderr: done/total, rate and ETA (GUIDE.md convention 8). On a terminal it
 * redraws in place; in logs and CI it prints a line every few seconds instead.
 */
export function createProgressBar(label: string, total: number | null, options: ProgressBarOptions = {}) {
  const counts = options.bytes ? "{percentage}% | {done} articles" : "{value}/{total}";
  const started = Date.now();
  let bar: SingleBar | null = null;
  let last = { value: 0, done: 0 };
  let stopped = false;
  const show = () => {
    if (bar !== null || stopped) return;
    const cliProgress = createRequire(import.meta.url)("cli-progress") as CliProgress;
    bar = new cliProgress.SingleBar(
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
    bar.start(Math.max(total ?? 0, last.value), last.value, { rate: rateOf(last.done), done: last.done });
  };
  const rateOf = (done: number) => {
    const seconds = (Date.now() - started) / 1000;
    return seconds > 0 ? (done / seconds).toFixed(1) : "0.0";
  };
  const timer = options.showAfterMs ? setTimeout(show, options.showAfterMs).unref() : null;
  if (timer === null) show();
  return {
    update(done: number, bytesRead?: number) {
      last = { value: options.bytes ? (bytesRead ?? 0) : done, done };
      if (bar === null) return;
      if (total === null || last.value > total) bar.setTotal(last.value);
      bar.update(last.value, { rate: rateOf(done), done });
    },
    stop() {
      stopped = true;
      if (timer !== null) clearTimeout(timer);
      bar?.stop();
    },
  };
}
