/**
 * In-process latency of related-by-id (the engine's `findRelatedToArticle`, k=10, no filters,
 * the related-list cache bypassed so every query computes its list), per ranking mode: what a
 * request costs before HTTP, to read the HTTP figures against. `bench/run-all.ts` measures the
 * default hybrid ranking and the dense mode it builds on; run on its own, every mode:
 *
 *   npx kindred index data/wcep-2025-2026.jsonl.gz --data-dir /tmp/demo-index
 *   npx tsx bench/related-latency.ts /tmp/demo-index [queries]
 *
 * which prints p50/p99 per mode and writes them to bench/related-latency-results.json.
 */
import { writeFileSync } from "node:fs";
import { loadConfig } from "../src/config/config.ts";
import type { RankingMode } from "../src/core/related/ranking-options.ts";
import { noFilters } from "../src/core/related/related-filters.ts";
import { openEngine } from "../src/engine/open-engine.ts";
import { silentLogger } from "../src/log/logger.ts";
import { type LatencySummary, roundTo, summariseLatencies, timeSync } from "./support/latency-stats.ts";
import { measureBusyLoopLatency, readLoadAverage } from "./support/machine-info.ts";
import { isMainModule, logProgress } from "./support/progress-log.ts";
import { createRandom } from "./support/synthetic-corpus.ts";

export interface ModeLatency extends LatencySummary {
  mode: RankingMode;
  plans: Record<string, number>;
  /**
   * Right after the queries, as many busy loops as queries, each as long as the median query
   * (`measureBusyLoopLatency`): the p99 the machine itself gives work of that length.
   */
  busyLoopP99Ms?: number;
}

export interface RelatedLatencyFigures {
  corpus: string;
  articles: number;
  k: number;
  /** In the order asked for (the default, hybrid, first). */
  modes: ModeLatency[];
  loadAverage: number;
}

export async function measureRelatedLatency(
  dataDir: string,
  corpus: string,
  ids: readonly string[] | null,
  queries: number,
  modeList: readonly RankingMode[] = ["hybrid", "dense"],
): Promise<RelatedLatencyFigures> {
  const config = loadConfig({ flags: { dataDir, logLevel: "silent" }, env: {}, configFile: undefined });
  const { engine, close } = await openEngine(config, silentLogger());
  const loadBefore = readLoadAverage();
  const queryIds = ids ?? engine.listIds();
  try {
    const modes = modeList.map((mode): ModeLatency => {
      const random = createRandom(5);
      const pick = () => queryIds[Math.floor(random() * queryIds.length)]!;
      const request = { k: 10, filters: noFilters, ranking: { mode } };
      for (let warm = 0; warm < Math.min(200, queries); warm++) engine.findRelatedToArticle(pick(), request, { cache: false });
      const samplesMs: number[] = [];
      const plans: Record<string, number> = {};
      for (let query = 0; query < queries; query++) {
        const { result, elapsedMs } = timeSync(() => engine.findRelatedToArticle(pick(), request, { cache: false }));
        samplesMs.push(elapsedMs);
        plans[result.plan] = (plans[result.plan] ?? 0) + 1;
      }
      const summary = summariseLatencies(samplesMs);
      const busyLoop = measureBusyLoopLatency(summary.p50Ms, queries);
      logProgress(
        `  in-process related-by-id, ${corpus}, ${mode}: p50 ${summary.p50Ms.toFixed(3)} ms, p99 ${summary.p99Ms.toFixed(3)} ms` +
          ` (busy loops of the median's length: p99 ${busyLoop.p99Ms.toFixed(3)} ms)`,
      );
      return { mode, plans, ...summary, busyLoopP99Ms: busyLoop.p99Ms };
    });
    return { corpus, articles: engine.size(), k: 10, modes, loadAverage: roundTo((loadBefore + readLoadAverage()) / 2, 2) };
  } finally {
    await close();
  }
}

if (isMainModule(import.meta.url)) {
  const [dataDir, queriesArg = "2000"] = process.argv.slice(2);
  if (dataDir === undefined) {
    process.stderr.write("usage: npx tsx bench/related-latency.ts DATA_DIR [queries]\n");
    process.exit(2);
  }
  const queries = Number(queriesArg);
  const figures = await measureRelatedLatency(dataDir, dataDir, null, queries, ["hybrid", "dense", "lexical"]);
  for (const { mode, p50Ms, p99Ms } of figures.modes) {
    process.stdout.write(`${mode.padEnd(8)} ${figures.articles} articles, ${queries} queries: p50 ${p50Ms.toFixed(2)} ms, p99 ${p99Ms.toFixed(2)} ms\n`);
  }
  process.stdout.write(`load average ${figures.loadAverage}\n`);
  writeFileSync(new URL("./related-latency-results.json", import.meta.url), `${JSON.stringify({ dataDir, queries, ...figures }, null, 2)}\n`);
}
