import { setTimeout as sleep, setImmediate as yieldToEventLoop } from "node:timers/promises";
import { mulberry32 } from "../core/seeded-random.ts";
import type { ExactVectorIndex } from "../vectors/exact-vector-index.ts";
import { TopK } from "../vectors/top-k.ts";
import type { Neighbor, VectorIndex } from "../vectors/vector-index.ts";

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
  /**
   * Milliseconds of scanning per turn of the event loop (default `sliceMs`): the check yields
   * after each so requests keep being answered, and pauses `busyPauseMs` when requests ran in
   * between, so on a busy server it takes a small share of the loop.
   */
  sliceMs?: number;
  busyPauseMs?: number;
}

/**
 * Measures recall@k of the HNSW graph against the exact index on a sample of the indexed
 * articles' own vectors, half of them recently written ones when there are any: the
 * reference the GUIDE asks for, run on the live indexes. The exact scan is the costly part (at
 * 100k articles one query's scan is tens of milliseconds, and a check makes 200), so it is cut
 * into slices of `sliceMs` with a yield in between, even within one query's scan: done in one
 * piece, it held the event loop long enough that a server just opened queued every request
 * behind it. A query whose scan a write interrupted (the exact index's `changes` moved) is
 * scanned again, and its graph search runs in the same slice as the end of its scan, so writes
 * never mix states.
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
  const sliceMs = options.sliceMs ?? defaultSliceMs;
  const busyPauseMs = options.busyPauseMs ?? defaultBusyPauseMs;
  let sliceStarted = performance.now();
  // Yields once this slice has used its time; pauses longer when other work ran during the yield.
  const maybeYield = async () => {
    if (performance.now() - sliceStarted < sliceMs) return;
    const yielded = performance.now();
    await yieldToEventLoop();
    if (performance.now() - yielded > 1) await sleep(busyPauseMs);
    sliceStarted = performance.now();
  };
  let found = 0;
  let wanted = 0;
  let asked = 0;
  for (const label of sample) {
    await maybeYield();
    const vector = exact.getVector(label);
    if (vector === null) continue; // deleted since the sample was drawn
    const query = Float32Array.from(vector);
    // A write between two ranges leaves a truth of neither state: the scan starts again, and
    // after `slicedAttempts` interrupted tries runs in one piece (so a steady stream of writes
    // cannot leave the check measuring nothing and reporting a perfect recall).
    let truth: Neighbor[] | null = null;
    for (let attempt = 0; truth === null; attempt++) {
      if (attempt === slicedAttempts) {
        truth = exact.search(query, options.k);
        break;
      }
      const changes = exact.changes;
      const top = new TopK(options.k);
      for (let from = 0; from < exact.slotCount() && exact.changes === changes; from += slotsPerRange) {
        if (from > 0) await maybeYield();
        if (exact.changes === changes) exact.scanSlots(query, from, from + slotsPerRange, top);
      }
      if (exact.changes === changes) truth = top.sorted();
    }
    const returned = new Set(graph.search(query, options.k).map((neighbor) => neighbor.label));
    found += truth.filter((neighbor) => returned.has(neighbor.label)).length;
    wanted += truth.length;
    asked++;
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

/** Scan time per turn of the event loop, and the pause after a turn in which requests ran. */
const defaultSliceMs = 4;
const defaultBusyPauseMs = 20;
/** Vectors scanned between two looks at the clock (a fraction of a millisecond's work). */
const slotsPerRange = 1024;
/** Interrupted sliced scans of one query before it is scanned in one piece. */
const slicedAttempts = 3;

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
