/**
 * In-process latency of related-by-id (the engine's `findRelatedToArticle`, k=10, no filters,
 * the related-list cache bypassed so every query computes its list), in the default hybrid
 * ranking and in the dense (embedding-only) mode it builds on: what a request costs before
 * HTTP, for issue 2's p50/p99 and to read the HTTP figures against.
 */
import { loadConfig } from "../src/config/config.ts";
import type { RankingMode } from "../src/core/related/ranking-options.ts";
import { noFilters } from "../src/core/related/related-filters.ts";
import { openEngine } from "../src/engine/open-engine.ts";
import { silentLogger } from "../src/log/logger.ts";
import { type LatencySummary, roundTo, summariseLatencies, timeSync } from "./support/latency-stats.ts";
import { readLoadAverage } from "./support/machine-info.ts";
import { logProgress } from "./support/progress-log.ts";
import { createRandom } from "./support/synthetic-corpus.ts";

export interface ModeLatency extends LatencySummary {
  mode: RankingMode;
  plans: Record<string, number>;
}

export interface RelatedLatencyFigures {
  corpus: string;
  articles: number;
  k: number;
  /** The default (hybrid) first, then dense. */
  modes: ModeLatency[];
  loadAverage: number;
}

export async function measureRelatedLatency(dataDir: string, corpus: string, ids: readonly string[], queries: number): Promise<RelatedLatencyFigures> {
  const config = loadConfig({ flags: { dataDir, logLevel: "silent" }, env: {}, configFile: undefined });
  const { engine, close } = await openEngine(config, silentLogger());
  const loadBefore = readLoadAverage();
  try {
    const modes = (["hybrid", "dense"] as const).map((mode): ModeLatency => {
      const random = createRandom(5);
      const pick = () => ids[Math.floor(random() * ids.length)]!;
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
      logProgress(`  in-process related-by-id, ${corpus}, ${mode}: p50 ${summary.p50Ms.toFixed(3)} ms, p99 ${summary.p99Ms.toFixed(3)} ms`);
      return { mode, plans, ...summary };
    });
    return { corpus, articles: engine.size(), k: 10, modes, loadAverage: roundTo((loadBefore + readLoadAverage()) / 2, 2) };
  } finally {
    await close();
  }
}
