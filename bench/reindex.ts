/**
 * Re-indexing the demo corpus with the bundled model through the real CLI: a full index into
 * an empty data directory, then the same file again with nothing changed, which must re-embed
 * nothing (content hashes) and so cost a small fraction. Both are wall-clock times of
 * `node bin/kindred.js index` from spawn to exit, the way a cron job sees them; the command's
 * own "in X s" (reading, embedding, writing, saving the graph; no process start) is kept too.
 * The run that changes nothing is short enough that one stray scheduling delay moves it by a
 * tenth, so it is made several times and the median run is the figure (every run is kept).
 */
import { createReadStream, createWriteStream } from "node:fs";
import { createInterface } from "node:readline";
import { createGunzip } from "node:zlib";
import { runKindred } from "./support/kindred-process.ts";
import { ratioOf, roundTo } from "./support/latency-stats.ts";
import { readLoadAverage } from "./support/machine-info.ts";
import { logProgress } from "./support/progress-log.ts";

export interface IndexRunFigures {
  wallMs: number;
  /** The command's own elapsed time, from its summary line. */
  indexMs: number;
  indexed: number;
  unchanged: number;
  /** As the command reports it: articles over its own elapsed time. */
  articlesPerSecond: number;
  loadAverage: number;
}

export interface ReindexFigures {
  input: string;
  articles: number;
  full: IndexRunFigures;
  /** The median of the runs that changed nothing, by wall clock. */
  incremental: IndexRunFigures;
  /** Wall-clock milliseconds of each run that changed nothing, in the order made. */
  incrementalRunsWallMs?: number[];
  /** full / incremental, by wall clock and by the command's own time. */
  speedUpWall: number;
  speedUpIndex: number;
}

/** Runs that change nothing, after the full index (odd, so the median is one of them). */
const unchangedRuns = 5;

export async function measureReindex(inputPath: string, dataDir: string): Promise<ReindexFigures> {
  logProgress(`re-index: full index of ${inputPath} (embeds every article)`);
  const full = await runIndex(inputPath, dataDir);
  logProgress(`  full: ${full.indexed} indexed in ${(full.wallMs / 1000).toFixed(1)} s wall (${full.articlesPerSecond} articles/s)`);
  const runs: IndexRunFigures[] = [];
  for (let run = 0; run < unchangedRuns; run++) {
    const again = await runIndex(inputPath, dataDir);
    logProgress(`  incremental: ${again.unchanged} unchanged in ${(again.wallMs / 1000).toFixed(2)} s wall`);
    if (again.indexed !== 0 || again.unchanged !== full.indexed) {
      throw new Error(
        `A run after the full index should find all ${full.indexed} articles unchanged; it reported ${again.indexed} indexed, ${again.unchanged} unchanged.`,
      );
    }
    runs.push(again);
  }
  const incremental = [...runs].sort((a, b) => a.wallMs - b.wallMs)[Math.floor(runs.length / 2)]!;
  return {
    input: inputPath,
    articles: full.indexed,
    full,
    incremental,
    incrementalRunsWallMs: runs.map((run) => run.wallMs),
    speedUpWall: ratioOf(full.wallMs, incremental.wallMs, 1),
    // The command prints tenths of a second: "0.0 s" means under 50 ms.
    speedUpIndex: ratioOf(full.indexMs, Math.max(incremental.indexMs, 50), 1),
  };
}

/** One `kindred index` run from spawn to exit; `extraArgs` such as `--workers 1`. */
export async function runIndex(inputPath: string, dataDir: string, extraArgs: readonly string[] = [], root?: string): Promise<IndexRunFigures> {
  const loadBefore = readLoadAverage();
  const run = await runKindred(["index", inputPath, "--data-dir", dataDir, "--log-level", "warn", ...extraArgs], root);
  if (run.exitCode !== 0) throw new Error(`kindred index failed (${run.exitCode}):\n${run.stderr}`);
  // "indexed 3, updated 0, unchanged 0, failed 0 in 1.2 s (2.5 articles/s) into DIR"
  const summary = /indexed (\d+), updated (\d+), unchanged (\d+), failed (\d+) in ([\d.]+) s \(([\d.]+) articles\/s\)/.exec(run.stdout);
  if (summary === null) throw new Error(`Unexpected output of kindred index:\n${run.stdout}`);
  return {
    wallMs: Math.round(run.wallMs),
    indexMs: Math.round(Number(summary[5]) * 1000),
    indexed: Number(summary[1]),
    unchanged: Number(summary[3]),
    articlesPerSecond: Number(summary[6]),
    loadAverage: roundTo((loadBefore + readLoadAverage()) / 2, 2),
  };
}

/** Writes the first `count` records of a gzipped JSON Lines file (a quick-mode slice). */
export async function writeCorpusSlice(gzPath: string, count: number, outPath: string): Promise<string> {
  const out = createWriteStream(outPath);
  let written = 0;
  for await (const line of createInterface({ input: createReadStream(gzPath).pipe(createGunzip()), crlfDelay: Infinity })) {
    if (line.trim() === "") continue;
    out.write(`${line}\n`);
    if (++written >= count) break;
  }
  await new Promise<void>((resolve, reject) => out.end((error?: Error | null) => (error ? reject(error) : resolve())));
  return outPath;
}
