/**
 * Cold start: time from spawning `node bin/kindred.js serve` to `/readyz` answering 200, and
 * the server's resident memory once ready, on an empty data directory (the baseline: process
 * start, module loading) and on a prepared one with many articles. RSS per article is the
 * difference over the article count.
 */
import { readRssBytes, readServerCpuMs, startKindredServer } from "./support/kindred-process.ts";
import { roundTo } from "./support/latency-stats.ts";
import { readLoadAverage } from "./support/machine-info.ts";
import { logProgress } from "./support/progress-log.ts";

export interface StartFigures {
  articles: number;
  /** Median over the runs, and every run (the first may include tsx's compile cache filling). */
  readyMs: number;
  readyMsRuns: number[];
  /**
   * CPU time the server used until ready (median), every process of it: the cost, whatever else
   * the machine ran. The primary only forks; the writer it forks opens the index.
   */
  cpuMs: number;
  rssMiB: number;
}

export interface ColdStartFigures {
  empty: StartFigures;
  full: StartFigures;
  /** Extra ready time the articles cost, over the empty start. */
  indexOpenMs: number;
  rssBytesPerArticle: number;
  loadAverage: number;
}

export async function measureColdStart(dirs: { emptyDir: string; fullDir: string; articles: number }, runs: number): Promise<ColdStartFigures> {
  const loadBefore = readLoadAverage();
  const empty = await measureStarts(dirs.emptyDir, 0, runs);
  const full = await measureStarts(dirs.fullDir, dirs.articles, runs);
  return {
    empty,
    full,
    indexOpenMs: Math.round(full.readyMs - empty.readyMs),
    rssBytesPerArticle: Math.round(((full.rssMiB - empty.rssMiB) * 2 ** 20) / Math.max(1, dirs.articles)),
    loadAverage: roundTo((loadBefore + readLoadAverage()) / 2, 2),
  };
}

async function measureStarts(dataDir: string, articles: number, runs: number): Promise<StartFigures> {
  const readyMsRuns: number[] = [];
  const cpuMsRuns: number[] = [];
  const rssRuns: number[] = [];
  for (let run = 0; run < runs; run++) {
    const server = await startKindredServer(dataDir);
    try {
      readyMsRuns.push(Math.round(server.readyMs));
      cpuMsRuns.push(readServerCpuMs(server.child.pid!));
      rssRuns.push(readRssBytes(server.child.pid!));
    } finally {
      await server.stop();
    }
    logProgress(
      `  cold start with ${articles} articles: ready in ${readyMsRuns.at(-1)} ms (${cpuMsRuns.at(-1)} ms CPU), RSS ${(rssRuns.at(-1)! / 2 ** 20).toFixed(0)} MiB`,
    );
  }
  return { articles, readyMs: median(readyMsRuns), readyMsRuns, cpuMs: median(cpuMsRuns), rssMiB: roundTo(median(rssRuns) / 2 ** 20, 1) };
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}
