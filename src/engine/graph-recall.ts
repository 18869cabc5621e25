import { setImmediate as yieldToEventLoop } from "node:timers/promises";
import { mulberry32 } from "../core/seeded-random.ts";
import type { ExactVectorIndex } from "../vectors/exact-vector-index.ts";
import type { VectorIndex } from "../vectors/vector-index.ts";

/** What a recall self-check measured: recall@k of the graph against the exact index. */
export interface GraphRecallReport {
  /** Share of the exact top-k the graph also returned, over every sampled query. */
  recall: number;
  k: number;
  queries: number;
  /** Queries taken from recently written articles (the rest are drawn from all). */
  recentQueries: number;
  /** Why it ran: after the indexes were loaded, or asked for (`kindred check`, a test). */
  reason: "recovery" | "on_demand" | "after_rebuild";
  ms: number;
  checkedAt: string;
}

export interface GraphRecallOptions {
  /** How many queries (each an indexed article's own vector). */
  queries: number;
  k: number;
  /** Labels written recently (where a degraded graph would show first); up to half the queries come from them. */
  recentLabels: readonly number[];
  reason: GraphRecallReport["reason"];
  seed?: number;
  /** Queries per slice of the event loop: the check yields between slices so requests keep being answered. */
  queriesPerSlice?: number;
}

/**
 * Measures recall@k of the HNSW graph against the exact index on a sample of the indexed
 * articles' own vectors, half of them recently written ones when there are any: the
 * reference the GUIDE asks for, run on the live indexes. The exact scan is the costly part, so
 * it runs a few queries at a time and yields in between. Each query compares both searches
 * within one slice, so concurrent writes never mix states.
 *
 * @example
 *   const report = await measureGraphRecall(indexes.graph, indexes.exact, { queries: 200, k: 10, recentLabels: [], reason: "on_demand" });
 */
export async function measureGraphRecall(graph: VectorIndex, exact: ExactVectorIndex, options: GraphRecallOptions): Promise<GraphRecallReport> {
  const started = performance.now();
  const random = mulberry32(options.seed ?? 0x5eed);
  const all = [...exact.labels()];
  const recent = [...new Set(options.recentLabels)].filter((label) => exact.has(label));
  const recentCount = Math.min(recent.length, Math.floor(options.queries / 2));
  const sample = [...pick(recent, recentCount, random), ...pick(all, Math.min(all.length, options.queries - recentCount), random)];
  const perSlice = options.queriesPerSlice ?? 2;
  let found = 0;
  let wanted = 0;
  let asked = 0;
  for (let start = 0; start < sample.length; start += perSlice) {
    if (start > 0) await yieldToEventLoop();
    for (const label of sample.slice(start, start + perSlice)) {
      const vector = exact.getVector(label);
      if (vector === null) continue; // deleted since the sample was drawn
      const query = Float32Array.from(vector);
      const truth = exact.search(query, options.k);
      const returned = new Set(graph.search(query, options.k).map((neighbor) => neighbor.label));
      found += truth.filter((neighbor) => returned.has(neighbor.label)).length;
      wanted += truth.length;
      asked++;
    }
  }
  return {
    recall: wanted === 0 ? 1 : found / wanted,
    k: options.k,
    queries: asked,
    recentQueries: recentCount,
    reason: options.reason,
    ms: Math.round(performance.now() - started),
    checkedAt: new Date().toISOString(),
  };
}

/** `count` distinct items drawn at random (a partial Fisher-Yates shuffle of a copy). */
function pick<T>(items: readonly T[], count: number, random: () => number): T[] {
  const copy = [...items];
  const n = Math.min(count, copy.length);
  for (let i = 0; i < n; i++) {
    const j = i + Math.floor(random() * (copy.length - i));
    [copy[i], copy[j]] = [copy[j]!, copy[i]!];
  }
  return copy.slice(0, n);
}
