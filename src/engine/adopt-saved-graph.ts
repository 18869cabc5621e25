import { statSync } from "node:fs";
import { join } from "node:path";
import { setImmediate as yieldToEventLoop } from "node:timers/promises";
import { manifestFileName, readGraphManifest } from "../vectors/graph-files.ts";
import { HnswVectorIndex } from "../vectors/hnsw-vector-index.ts";
import type { CompactionContext } from "./compact-graph.ts";
import type { LoadedIndexes } from "./load-indexes.ts";

/** Time the event loop is given up to replaying changes onto the taken graph before it answers requests again. */
const replaySliceMs = 8;

export interface AdoptionReport {
  /** Tombstoned slots of the graph replaced, and of the one taken in its place after replay. */
  tombstonesBefore: number;
  tombstonesAfter: number;
  /** Labels brought from the saved graph's change sequence to the follower's. */
  replayed: number;
  totalMs: number;
}

/** What taking the saved graph needs: the compaction's context but its own bookkeeping (`serialise` holds the follower's replay of changes off). */
export type AdoptionContext = Pick<
  CompactionContext,
  "dataDir" | "modelId" | "dimensions" | "hnsw" | "store" | "logger" | "currentIndexes" | "serialise" | "isClosed"
>;

/** When the manifest was last replaced (its modification time), or null when there is none. */
export function manifestStamp(dataDir: string): number | null {
  try {
    return statSync(join(dataDir, manifestFileName)).mtimeMs;
  } catch {
    return null;
  }
}

/**
 * How a follower (a reader process of `kindred serve`) drops its tombstones. It never compacts
 * or saves a graph itself, and every write it replays tombstones a node of its graph (a changed
 * vector is a new node), so its graph would grow with the number of writes rather than the
 * corpus. The writer compacts its own graph and commits the result as the saved graph
 * (engine/compact-graph.ts): the follower takes that file when it holds fewer tombstones than
 * its own graph. The file is read on a libuv thread while queries go on; then, with the
 * replay of changes held off, every label the store's log shows changed since the file's
 * sequence number is set to the vector the follower's exact index holds (or removed), so the
 * graph says exactly what the follower's other indexes say, and it is swapped in with one
 * assignment. Returns null when there is nothing better to take (no manifest, another model,
 * no fewer tombstones, a log that no longer reaches back to the file, a file replaced under the
 * read), the follower closed or its indexes were reloaded meanwhile.
 */
export async function adoptSavedGraph(context: AdoptionContext): Promise<AdoptionReport | null> {
  const started = performance.now();
  const indexes = context.currentIndexes();
  const current = indexes.graph;
  const manifest = readGraphManifest(context.dataDir);
  if (current === null || manifest === null) return null;
  if (manifest.model_id !== indexes.modelId || manifest.dimensions !== indexes.dimensions || manifest.hnsw.m !== context.hnsw.m) return null;
  if (manifest.deleted_labels.length >= current.tombstoneCount() / 2 || manifest.seq < context.store.oldestReplayableSeq()) return null;
  let graph: HnswVectorIndex;
  try {
    const path = join(context.dataDir, manifest.graph_file);
    graph = await HnswVectorIndex.loadInBackground(path, manifest.dimensions, context.hnsw, manifest.deleted_labels, manifest.relabeled_nodes);
  } catch (error) {
    // The writer replaced the file between the manifest and the read: the next manifest is tried.
    context.logger.debug({ reason: (error as Error).message }, "saved graph not readable; keeping the graph in memory");
    return null;
  }
  let taken: AdoptionReport | null = null;
  try {
    taken = await context.serialise(() => replayAndSwap(context, indexes, current, graph, manifest.seq, started));
    return taken;
  } finally {
    // Whichever graph lost (the one replaced, or the one read and not taken) gives its native memory back now.
    (taken === null ? graph : current).retire();
  }
}

/** With the follower's replay held off: brings `graph` to the follower's state and swaps it for `current`; null if not taken. */
async function replayAndSwap(
  context: AdoptionContext,
  indexes: LoadedIndexes,
  current: HnswVectorIndex,
  graph: HnswVectorIndex,
  savedSeq: number,
  started: number,
): Promise<AdoptionReport | null> {
  if (context.isClosed() || context.currentIndexes() !== indexes || indexes.graph !== current) return null;
  if (savedSeq < context.store.oldestReplayableSeq()) return null;
  const changed = new Set(context.store.listChangesSince(savedSeq).map((change) => change.label));
  // Each insertion is a graph search: in slices, with queries answered (from the old graph) in between.
  let sliceEndsMs = performance.now() + replaySliceMs;
  for (const label of changed) {
    const vector = indexes.exact.getVector(label);
    if (vector === null) graph.remove(label);
    else graph.upsert(label, vector);
    if (performance.now() < sliceEndsMs) continue;
    await yieldToEventLoop();
    if (context.isClosed()) return null;
    sliceEndsMs = performance.now() + replaySliceMs;
  }
  const tombstonesBefore = current.tombstoneCount();
  if (graph.size() !== indexes.exact.size() || graph.tombstoneCount() >= tombstonesBefore) {
    context.logger.debug({ saved: graph.size(), exact: indexes.exact.size(), tombstones: graph.tombstoneCount() }, "saved graph not taken");
    return null;
  }
  indexes.graph = graph;
  const report = { tombstonesBefore, tombstonesAfter: graph.tombstoneCount(), replayed: changed.size, totalMs: performance.now() - started };
  context.logger.info(report, "took the writer's compacted graph");
  return report;
}
