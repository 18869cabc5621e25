import { noFilters } from "../../src/core/related/related-filters.ts";
import type { ArticleCatalog } from "../../src/engine/article-catalog.ts";
import type { SearchPlan } from "../../src/engine/search-candidates.ts";
import type { ExactVectorIndex } from "../../src/vectors/exact-vector-index.ts";
import type { LabelFilter, Neighbor, VectorIndex } from "../../src/vectors/vector-index.ts";
import { type LatencySummary, roundTo, summariseLatencies, timeSync } from "./latency-stats.ts";
import { plannedSearch, type ScoredCandidate } from "./planned-search.ts";
import { logProgress } from "./progress-log.ts";

export interface WidenedFigures {
  filter: string;
  efSearch: number;
  recallAt10: number;
  plans: Partial<Record<SearchPlan, number>>;
  kindred: LatencySummary;
}

/**
 * The graph searched at least `efSearch` wide, without saving and reloading it (a 1M-vector
 * graph is gigabytes on disk and most of an hour to build). hnswlib's searchKnn walks the base
 * layer with a candidate list of max(ef, k) and then drops all but the best k, and the walk
 * above the base layer does not depend on either; so asking for max(k, efSearch) neighbours and
 * keeping the first k gives exactly the answer a search at that efSearch gives. Only widths at
 * or above the graph's own efSearch can be had this way (a narrower one needs a reload).
 */
export function widenedGraph(graph: VectorIndex, efSearch: number): VectorIndex {
  return {
    dimensions: graph.dimensions,
    searchWidth: efSearch,
    size: () => graph.size(),
    has: (label) => graph.has(label),
    upsert: () => {
      throw new Error("A widened graph is for searching only.");
    },
    remove: () => {
      throw new Error("A widened graph is for searching only.");
    },
    search: (query: Float32Array, k: number, filter?: LabelFilter): Neighbor[] => graph.search(query, Math.max(k, efSearch), filter).slice(0, k),
  };
}

/** CPU time of this process (every thread, user and system) in milliseconds since `since`. */
export function processCpuMs(since?: NodeJS.CpuUsage): number {
  const { user, system } = process.cpuUsage(since);
  return (user + system) / 1000;
}

/** Resident memory now and the process's peak so far, in MiB. */
export function residentMemoryMiB(): { now: number; peak: number } {
  return { now: Math.round(process.memoryUsage.rss() / 2 ** 20), peak: Math.round(process.resourceUsage().maxRSS / 1024) };
}

/**
 * Recall@k of `found` against the exact `truth`, counting a result whose score ties the
 * truth's last one as a hit (which of two equally similar articles comes back is not a miss).
 * An empty truth is matched only by an empty answer.
 */
export function recallOf(found: readonly { entry: { label: number }; score: number }[], truth: readonly { entry: { label: number }; score: number }[]): number {
  if (truth.length === 0) return found.length === 0 ? 1 : 0;
  const truthLabels = new Set(truth.map((item) => item.entry.label));
  const lastScore = truth[truth.length - 1]!.score;
  const hits = found.filter((item) => truthLabels.has(item.entry.label) || item.score >= lastScore - 1e-6).length;
  return Math.min(hits, truth.length) / truth.length;
}

/**
 * The tier's queries again through kindred's planner on the widened graph, at each width and
 * filter, scored against the exact answers the tier already has (`truthByFilter`).
 */
export function sweepWidened(
  widths: readonly number[],
  tier: {
    graph: VectorIndex;
    exact: ExactVectorIndex;
    catalog: ArticleCatalog;
    queryLabels: readonly number[];
    filterCases: readonly { filter: string; topics: string[] }[];
    truthByFilter: ReadonlyMap<string, readonly ScoredCandidate[][]>;
    k: number;
  },
): WidenedFigures[] {
  const figures: WidenedFigures[] = [];
  for (const efSearch of widths) {
    const indexes = { graph: widenedGraph(tier.graph, efSearch), exact: tier.exact, catalog: tier.catalog };
    for (const { filter, topics } of tier.filterCases) {
      const truth = tier.truthByFilter.get(filter)!;
      const request = { k: tier.k, filters: { ...noFilters, topics } };
      const plans: Partial<Record<SearchPlan, number>> = {};
      let recallSum = 0;
      const samplesMs = tier.queryLabels.map((label, index) => {
        const exclusions = { labels: new Set([label]), textHashes: new Set([tier.catalog.get(label)!.textHash]) };
        const { result, elapsedMs } = timeSync(() => plannedSearch(indexes, tier.exact.getVector(label)!, request, exclusions, label));
        plans[result.plan] = (plans[result.plan] ?? 0) + 1;
        recallSum += recallOf(result.results, truth[index]!);
        return elapsedMs;
      });
      const item = { filter, efSearch, recallAt10: roundTo(recallSum / samplesMs.length, 4), plans, kindred: summariseLatencies(samplesMs) };
      logProgress(`  efSearch ${efSearch}, filter ${filter}: recall@10 ${item.recallAt10}, p50 ${item.kindred.p50Ms} ms, p99 ${item.kindred.p99Ms} ms`);
      figures.push(item);
    }
  }
  return figures;
}
