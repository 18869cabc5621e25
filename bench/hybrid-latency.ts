/**
 * In-process latency of related-by-id per ranking mode (issue 4): hybrid (the default), dense
 * and lexical, k=10, no filters, the related-list cache bypassed so every query computes its
 * list. Run on an indexed data directory, e.g. the demo corpus:
 *
 *   npx kindred index data/wcep-2025-2026.jsonl.gz --data-dir /tmp/demo-index
 *   npx tsx bench/hybrid-latency.ts /tmp/demo-index [queries]
 *
 * Prints p50/p99 per mode and writes them to bench/hybrid-latency-results.json.
 */
import { writeFileSync } from "node:fs";
import { loadConfig } from "../src/config/config.ts";
import type { RankingMode } from "../src/core/related/ranking-options.ts";
import { noFilters } from "../src/core/related/related-filters.ts";
import { openEngine } from "../src/engine/open-engine.ts";
import { silentLogger } from "../src/log/logger.ts";
import { type LatencySummary, summariseLatencies, timeSync } from "./support/latency-stats.ts";
import { readLoadAverage } from "./support/machine-info.ts";
import { createRandom } from "./support/synthetic-corpus.ts";

const [dataDir, queriesArg = "2000"] = process.argv.slice(2);
if (dataDir === undefined) {
  process.stderr.write("usage: npx tsx bench/hybrid-latency.ts DATA_DIR [queries]\n");
  process.exit(2);
}
const queries = Number(queriesArg);
const config = loadConfig({ flags: { dataDir, logLevel: "silent" }, env: {}, configFile: undefined });
const { engine, close } = await openEngine(config, silentLogger());
const ids = engine.listIds();
const figures: Record<string, LatencySummary & { loadAverage: number }> = {};
try {
  for (const mode of ["hybrid", "dense", "lexical"] as RankingMode[]) {
    const random = createRandom(5);
    const pick = () => ids[Math.floor(random() * ids.length)]!;
    const request = { k: 10, filters: noFilters, ranking: { mode } };
    for (let warm = 0; warm < 200; warm++) engine.findRelatedToArticle(pick(), request, { cache: false });
    const samplesMs: number[] = [];
    for (let query = 0; query < queries; query++) samplesMs.push(timeSync(() => engine.findRelatedToArticle(pick(), request, { cache: false })).elapsedMs);
    figures[mode] = { ...summariseLatencies(samplesMs), loadAverage: readLoadAverage() };
    process.stdout.write(
      `${mode.padEnd(8)} ${engine.size()} articles, ${queries} queries: p50 ${figures[mode].p50Ms.toFixed(2)} ms, p99 ${figures[mode].p99Ms.toFixed(2)} ms (load ${figures[mode].loadAverage})\n`,
    );
  }
} finally {
  await close();
}
writeFileSync(new URL("./hybrid-latency-results.json", import.meta.url), `${JSON.stringify({ dataDir, articles: ids.length, queries, figures }, null, 2)}\n`);
