/**
 * Vector search through kindred's own query planner (engine/search-candidates.ts, with
 * bench/support/planned-search.ts folding copies): HNSW recall@10 against exact search, and the speed-up over it,
 * unfiltered and with topic filters matching 50% / 10% / 1% / 0.1% of the articles, at
 * synthetic tiers and on the demo corpus's real vectors; plus HNSW build times.
 *
 * The exact reference runs the same planner with the exact index in the graph's place and no
 * limit on exact subset scans, so both sides fold copies, exclude the query article and apply
 * filters identically; a filter selective enough for the planner to scan exactly shows
 * recall 1 and speed-up ~1x, which is the point of the plan.
 *
 *   npx tsx bench/vector-search.ts --tiers 10k,100k [--demo-dir DIR] [--queries 200]
 *   npx tsx bench/vector-search.ts --tiers 100k --ef-construction 64 --widen 256,512   # a weaker graph, and wider searches on it
 *   npx tsx bench/vector-search.ts --tiers 300k --m 24 --graph-dir /tmp/graphs --queries 400   # reuses the graph on the next run
 */
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { configSchema, resolveHnswM } from "../src/config/config.ts";
import { noFilters } from "../src/core/related/related-filters.ts";
import { ArticleCatalog } from "../src/engine/article-catalog.ts";
import type { SearchIndexes, SearchPlan } from "../src/engine/search-candidates.ts";
import { SqliteArticleStore } from "../src/store/sqlite-article-store.ts";
import { ExactVectorIndex } from "../src/vectors/exact-vector-index.ts";
import { type HnswParameters, HnswVectorIndex } from "../src/vectors/hnsw-vector-index.ts";
import { type LatencySummary, ratioOf, roundTo, summariseLatencies, timeSync } from "./support/latency-stats.ts";
import { readLoadAverage } from "./support/machine-info.ts";
import { plannedSearch } from "./support/planned-search.ts";
import { isMainModule, logProgress } from "./support/progress-log.ts";
import { createRandom, SyntheticCorpus, selectivityTopics } from "./support/synthetic-corpus.ts";
import { processCpuMs, recallOf, residentMemoryMiB, sweepWidened, type WidenedFigures } from "./support/widened-search.ts";

export const resultK = 10;
/** The model's dimensions (USE Lite). */
export const benchDimensions = 512;

const productDefaults = configSchema.parse({});
/** The graph kindred builds for a new data directory, read from its defaults so that the bench runs what the product does. */
export const defaultHnsw: HnswParameters = {
  m: resolveHnswM(productDefaults, undefined),
  efConstruction: productDefaults.hnswEfConstruction,
  efSearch: productDefaults.hnswEfSearch,
};

export interface VectorTierSpec {
  name: string;
  count: number;
  hnsw: HnswParameters;
  queries: number;
  sweepEfSearch: boolean;
  /** Query widths above the default to measure on the built graph, every filter the graph answers (no reload needed). */
  widenEfSearch?: number[];
  /**
   * A directory of built graphs, so that query experiments at a large tier do not rebuild: the
   * graph is read from it when it holds one of this tier's count and parameters, else built and
   * written there.
   */
  graphDir?: string;
}

export interface FilterFigures {
  filter: string;
  topics: string[];
  matching: number;
  matchingShare: number;
  /** How kindred's planner answered, per plan. */
  plans: Partial<Record<SearchPlan, number>>;
  recallAt10: number;
  kindred: LatencySummary;
  exact: LatencySummary;
  /** Mean exact latency / mean kindred latency. */
  speedUp: number;
}

export interface EfSearchFigures {
  efSearch: number;
  recallAt10: number;
  meanMs: number;
  /** Against the unfiltered exact search of the tier. */
  speedUp: number;
}

export interface TierFigures {
  tier: string;
  source: "synthetic" | "demo";
  count: number;
  dimensions: number;
  hnsw: HnswParameters;
  hnswBuildMs: number;
  /** CPU time the process spent during the build (all threads): on a shared machine, the figure the wall clock cannot give. */
  hnswBuildCpuMs: number;
  /** Set when the graph was read from this file instead of built: the build figures are then the read's. */
  loadedGraph?: string;
  hnswInsertsPerSecond: number;
  /** Resident memory once the graph is built, and the process's peak by the end of the tier. */
  memoryMiB: { afterBuild: number; peak: number };
  /** Mean cosine of each query's nearest and 10th-nearest neighbour: how clustered the data is. */
  neighbourCosine: { first: number; tenth: number };
  loadAverage: number;
  filters: FilterFigures[];
  /** Unfiltered, at other efSearch values (empty for tiers too large to save and reload cheaply). */
  efSearchSweep: EfSearchFigures[];
  /** Recall and latency at the widths of `widenEfSearch`, per filter the graph answered. */
  widenedEfSearch?: WidenedFigures[];
}

interface TierIndexes {
  exact: ExactVectorIndex;
  catalog: ArticleCatalog;
  labels: number[];
  filterCases: { filter: string; topics: string[] }[];
}

/** One synthetic tier: generate, build the graph (timed), measure every filter. */
export function measureSyntheticTier(spec: VectorTierSpec, seed = 42): TierFigures {
  logProgress(`vector search ${spec.name}: generating ${spec.count} synthetic vectors`);
  const corpus = new SyntheticCorpus(spec.count, { dimensions: benchDimensions, seed });
  const exact = new ExactVectorIndex(benchDimensions, spec.count);
  const catalog = new ArticleCatalog();
  const scratch = new Float32Array(benchDimensions);
  const labels: number[] = [];
  for (let label = 1; label <= spec.count; label++) {
    exact.upsert(label, corpus.fillVector(label, scratch));
    catalog.upsert({ ...corpus.articleAt(label), label, textHash: `text-${label}`, embedHash: "", seq: label });
    labels.push(label);
  }
  const filterCases = [
    { filter: "none", topics: [] as string[] },
    ...selectivityTopics.map(({ topic, share }) => ({ filter: `${share * 100}%`, topics: [topic] })),
  ];
  return measureTier(spec, "synthetic", { exact, catalog, labels, filterCases });
}

/** The demo corpus's real vectors and topics, read from an indexed data directory. */
export function measureDemoTier(dataDir: string, queries: number): TierFigures {
  const store = SqliteArticleStore.open(dataDir);
  const catalog = new ArticleCatalog();
  const labels: number[] = [];
  let exact: ExactVectorIndex;
  try {
    for (const article of store.listSummaries()) catalog.upsert(article);
    exact = new ExactVectorIndex(benchDimensions, catalog.size());
    for (const { label, vector } of store.listVectors()) {
      exact.upsert(label, vector);
      labels.push(label);
    }
  } finally {
    store.close();
  }
  const filterCases = [
    { filter: "none", topics: [] as string[] },
    ...selectivityTopics.map(({ share }) => ({ filter: `${share * 100}%`, topics: chooseTopicsMatching(catalog, share) })),
  ];
  return measureTier({ name: "demo", count: labels.length, hnsw: defaultHnsw, queries, sweepEfSearch: true }, "demo", { exact, catalog, labels, filterCases });
}

function measureTier(spec: VectorTierSpec, source: TierFigures["source"], indexes: TierIndexes): TierFigures {
  const { exact, catalog, labels } = indexes;
  logProgress(`vector search ${spec.name}: building HNSW over ${labels.length} vectors (M=${spec.hnsw.m}, efConstruction=${spec.hnsw.efConstruction})`);
  const loadBefore = readLoadAverage();
  const cpuBefore = process.cpuUsage();
  // The same loop as a rebuild in src/engine/load-indexes.ts.
  const graphFile =
    spec.graphDir === undefined ? undefined : join(spec.graphDir, `${spec.name}-${labels.length}-m${spec.hnsw.m}-efc${spec.hnsw.efConstruction}.hnsw`);
  const loadedGraph = graphFile !== undefined && existsSync(graphFile) ? graphFile : undefined;
  const { result: graph, elapsedMs: hnswBuildMs } = timeSync(() => {
    if (loadedGraph !== undefined) return HnswVectorIndex.load(loadedGraph, benchDimensions, spec.hnsw, []);
    const built = HnswVectorIndex.create(benchDimensions, spec.hnsw, Math.max(1024, labels.length));
    let done = 0;
    for (const label of labels) {
      built.upsert(label, exact.getVector(label)!);
      if (++done % 50_000 === 0) logProgress(`  ${done} inserted, CPU ${(processCpuMs(cpuBefore) / 1000).toFixed(0)} s, RSS ${residentMemoryMiB().now} MiB`);
    }
    return built;
  });
  const hnswBuildCpuMs = processCpuMs(cpuBefore);
  if (graphFile !== undefined && loadedGraph === undefined) graph.writeTo(graphFile);
  if (loadedGraph !== undefined) logProgress(`  read the graph from ${loadedGraph}`);
  const memoryAfterBuild = residentMemoryMiB().now;
  // kindred's default planner: exact subset scans up to `autoExactScanLimit` matches.
  const kindredIndexes: SearchIndexes = { graph, exact, catalog };
  const exactIndexes: SearchIndexes = { graph: exact, exact, catalog, exactScanMaxCandidates: Number.MAX_SAFE_INTEGER };

  const random = createRandom(7);
  const queryLabels = Array.from({ length: Math.min(spec.queries, labels.length) }, () => labels[Math.floor(random() * labels.length)]!);
  const filters: FilterFigures[] = [];
  const truthByFilter = new Map<string, ReturnType<typeof plannedSearch>["results"][]>();
  let firstCosine = 0;
  let tenthCosine = 0;
  for (const filterCase of indexes.filterCases) {
    const matching = filterCase.topics.length === 0 ? catalog.size() : catalog.labelsWithAnyTopic(filterCase.topics).size;
    const request = { k: resultK, filters: { ...noFilters, topics: filterCase.topics } };
    const kindredMs: number[] = [];
    const exactMs: number[] = [];
    const plans: Partial<Record<SearchPlan, number>> = {};
    const truth: ReturnType<typeof plannedSearch>["results"][] = [];
    truthByFilter.set(filterCase.filter, truth);
    let recallSum = 0;
    queryLabels.forEach((label, index) => {
      const query = exact.getVector(label)!;
      const entry = catalog.get(label)!;
      const exclusions = { labels: new Set([label]), textHashes: new Set([entry.textHash]) };
      // Alternate which side runs first, so neither always finds the caches warm.
      const runKindred = () => timeSync(() => plannedSearch(kindredIndexes, query, request, exclusions, label));
      const runExact = () => timeSync(() => plannedSearch(exactIndexes, query, request, exclusions, label));
      const reference = index % 2 === 1 ? runExact() : null;
      const kindred = runKindred();
      const exactRun = reference ?? runExact();
      kindredMs.push(kindred.elapsedMs);
      exactMs.push(exactRun.elapsedMs);
      plans[kindred.result.plan] = (plans[kindred.result.plan] ?? 0) + 1;
      recallSum += recallOf(kindred.result.results, exactRun.result.results);
      truth.push(exactRun.result.results);
      if (filterCase.topics.length === 0) {
        firstCosine += exactRun.result.results[0]?.score ?? 0;
        tenthCosine += exactRun.result.results[resultK - 1]?.score ?? 0;
      }
    });
    const kindred = summariseLatencies(kindredMs);
    const exactSummary = summariseLatencies(exactMs);
    const figures: FilterFigures = {
      filter: filterCase.filter,
      topics: filterCase.topics,
      matching,
      matchingShare: roundTo(matching / catalog.size(), 5),
      plans,
      recallAt10: roundTo(recallSum / queryLabels.length, 4),
      kindred,
      exact: exactSummary,
      speedUp: ratioOf(exactSummary.meanMs, kindred.meanMs, 1),
    };
    filters.push(figures);
    logProgress(
      `  ${spec.name} filter ${figures.filter.padEnd(5)} (${matching} match): recall@10 ${figures.recallAt10}, ` +
        `kindred ${kindred.meanMs.toFixed(3)} ms (${Object.keys(plans).join("+")}), exact ${exactSummary.meanMs.toFixed(3)} ms, ${figures.speedUp}x`,
    );
  }
  const unfilteredExactMs = filters.find((item) => item.filter === "none")?.exact.meanMs ?? Number.NaN;
  const efSearchSweep = spec.sweepEfSearch
    ? sweepEfSearch(graph, spec.hnsw, { exact, catalog, queryLabels, truth: truthByFilter.get("none")!, exactMs: unfilteredExactMs })
    : [];
  // Only the filters the graph answered: an exact subset scan does not depend on efSearch.
  const graphCases = indexes.filterCases.filter((item) => filters.find((figures) => figures.filter === item.filter)?.plans["exact-subset"] === undefined);
  const widenedEfSearch =
    spec.widenEfSearch === undefined
      ? undefined
      : sweepWidened(spec.widenEfSearch, { graph, exact, catalog, queryLabels, filterCases: graphCases, truthByFilter, k: resultK });
  return {
    tier: spec.name,
    source,
    count: labels.length,
    dimensions: benchDimensions,
    hnsw: spec.hnsw,
    hnswBuildMs: Math.round(hnswBuildMs),
    hnswBuildCpuMs: Math.round(hnswBuildCpuMs),
    ...(loadedGraph === undefined ? {} : { loadedGraph }),
    hnswInsertsPerSecond: Math.round(labels.length / (hnswBuildMs / 1000)),
    memoryMiB: { afterBuild: memoryAfterBuild, peak: residentMemoryMiB().peak },
    neighbourCosine: { first: roundTo(firstCosine / queryLabels.length, 3), tenth: roundTo(tenthCosine / queryLabels.length, 3) },
    loadAverage: roundTo((loadBefore + readLoadAverage()) / 2, 2),
    filters,
    efSearchSweep,
    ...(widenedEfSearch === undefined ? {} : { widenedEfSearch }),
  };
}

/** efSearch values tried on each tier that sweeps: kindred's default is 128. */
const sweptEfSearch = [32, 64, 128, 256];

/**
 * Unfiltered recall@10 and mean time at other query-time widths, on the same graph (saved and
 * reloaded with each efSearch) and the same queries: what the default trades.
 */
function sweepEfSearch(
  graph: HnswVectorIndex,
  hnsw: HnswParameters,
  reference: { exact: ExactVectorIndex; catalog: ArticleCatalog; queryLabels: number[]; truth: ReturnType<typeof plannedSearch>["results"][]; exactMs: number },
): EfSearchFigures[] {
  const dir = mkdtempSync(join(tmpdir(), "kindred-ef-"));
  try {
    const path = join(dir, "graph.hnsw");
    graph.writeTo(path);
    return sweptEfSearch.map((efSearch) => {
      const reloaded = HnswVectorIndex.load(path, benchDimensions, { ...hnsw, efSearch }, graph.deletedNodes(), graph.relabeledNodes());
      const indexes: SearchIndexes = { graph: reloaded, exact: reference.exact, catalog: reference.catalog };
      const request = { k: resultK, filters: noFilters };
      let recallSum = 0;
      const samplesMs = reference.queryLabels.map((label, index) => {
        const exclusions = { labels: new Set([label]), textHashes: new Set([reference.catalog.get(label)!.textHash]) };
        const { result, elapsedMs } = timeSync(() => plannedSearch(indexes, reference.exact.getVector(label)!, request, exclusions, label));
        recallSum += recallOf(result.results, reference.truth[index]!);
        return elapsedMs;
      });
      const meanMs = summariseLatencies(samplesMs).meanMs;
      const figures = { efSearch, recallAt10: roundTo(recallSum / samplesMs.length, 4), meanMs, speedUp: ratioOf(reference.exactMs, meanMs, 1) };
      logProgress(`  efSearch ${efSearch}: recall@10 ${figures.recallAt10}, ${meanMs.toFixed(3)} ms, ${figures.speedUp}x exact`);
      return figures;
    });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * Real topics whose union matches about `share` of the articles: the single topic nearest to
 * the target if one is within 25% of it, else a union of topics (a `topics=a,b` query) built
 * greedily from the largest that still fit.
 */
export function chooseTopicsMatching(catalog: ArticleCatalog, share: number): string[] {
  const target = Math.max(2, Math.round(share * catalog.size()));
  const counts = new Map<string, number>();
  for (const entry of catalog.entries()) for (const topic of entry.topics) counts.set(topic, (counts.get(topic) ?? 0) + 1);
  const byCount = [...counts].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1));
  const nearest = byCount.reduce((best, candidate) => (Math.abs(candidate[1] - target) < Math.abs(best[1] - target) ? candidate : best), byCount[0]!);
  if (Math.abs(nearest[1] - target) <= 0.25 * target) return [nearest[0]];
  const chosen: string[] = [];
  let size = 0;
  for (const [topic, count] of byCount) {
    if (size >= 0.95 * target) break;
    if (size + count > 1.05 * target) continue;
    chosen.push(topic);
    size = catalog.labelsWithAnyTopic(chosen).size;
  }
  return chosen.length > 0 ? chosen : [nearest[0]];
}

/** Tier names accepted on the command line. */
export const syntheticTiers: Record<string, Omit<VectorTierSpec, "queries">> = {
  "2k": { name: "2k", count: 2_000, hnsw: defaultHnsw, sweepEfSearch: true },
  "10k": { name: "10k", count: 10_000, hnsw: defaultHnsw, sweepEfSearch: true },
  "100k": { name: "100k", count: 100_000, hnsw: defaultHnsw, sweepEfSearch: true },
  // Between 100k and 1M, where a build takes minutes rather than an hour: for reproducing what
  // the 1M tier shows (with --graph-dir, once).
  "300k": { name: "300k", count: 300_000, hnsw: defaultHnsw, sweepEfSearch: false, widenEfSearch: [256, 512, 1024] },
  // The product's own graph parameters, since the tier exists to say how the default holds at 1M;
  // its single-threaded build is most of an hour, so it is a section of its own that `--skip-1m`
  // leaves out (bench/run-all.ts). Too large to save and reload per efSearch, it is measured at
  // wider widths by asking the graph for more neighbours (support/widened-search.ts).
  "1m": { name: "1m", count: 1_000_000, hnsw: defaultHnsw, sweepEfSearch: false, widenEfSearch: [256, 512, 1024] },
};

if (isMainModule(import.meta.url)) {
  const { values } = parseArgs({
    options: {
      tiers: { type: "string", default: "10k" },
      "demo-dir": { type: "string" },
      queries: { type: "string", default: "200" },
      /** Build the synthetic tiers' graphs with this efConstruction instead of the tier's own. */
      "ef-construction": { type: "string" },
      /** ...and this M (links per node). */
      m: { type: "string" },
      /** Read built graphs from this directory, or write them there (VectorTierSpec.graphDir). */
      "graph-dir": { type: "string" },
      /** Also measure every graph-answered filter at these efSearch widths (>= the default). */
      widen: { type: "string" },
    },
  });
  const positive = (option: string, text: string) => {
    const value = Number(text);
    if (!Number.isInteger(value) || value <= 0) throw new Error(`--${option} takes positive integers; got "${text}".`);
    return value;
  };
  const efConstruction = values["ef-construction"] === undefined ? undefined : positive("ef-construction", values["ef-construction"]);
  const m = values.m === undefined ? undefined : positive("m", values.m);
  const widen = values.widen?.split(",").map((text) => positive("widen", text));
  const queries = Number(values.queries);
  const results: TierFigures[] = [];
  if (values["demo-dir"] !== undefined) results.push(measureDemoTier(values["demo-dir"], queries));
  for (const name of values.tiers!.split(",").filter(Boolean)) {
    const tier = syntheticTiers[name];
    if (tier === undefined) throw new Error(`Unknown tier "${name}"; known: ${Object.keys(syntheticTiers).join(", ")}.`);
    const hnsw = { ...tier.hnsw, ...(efConstruction === undefined ? {} : { efConstruction }), ...(m === undefined ? {} : { m }) };
    const graphDir = values["graph-dir"];
    results.push(
      measureSyntheticTier({
        ...tier,
        hnsw,
        queries,
        ...(widen === undefined ? {} : { widenEfSearch: widen }),
        ...(graphDir === undefined ? {} : { graphDir }),
      }),
    );
  }
  console.log(JSON.stringify(results, null, 2));
}
