import { rmSync } from "node:fs";
import type { Logger } from "../log/logger.ts";
import type { ArticleStore } from "../store/article-store.ts";
import { buildGraphInWorker } from "../vectors/build-graph-in-worker.ts";
import { commitGraphFile, compactionFilePath } from "../vectors/graph-files.ts";
import { type HnswParameters, HnswVectorIndex } from "../vectors/hnsw-vector-index.ts";
import type { LoadedIndexes } from "./load-indexes.ts";

export interface CompactionReport {
  /** Live vectors in the new graph. */
  live: number;
  /** Tombstoned slots the old graph had when the compaction started. */
  tombstonesRemoved: number;
  /** Changes applied while the worker built, replayed onto the new graph at the swap. */
  replayed: number;
  /** Building in the worker (the event loop keeps serving meanwhile). */
  buildMs: number;
  /** Loading the new graph, replaying, swapping and committing it: the only part on the event loop. */
  swapMs: number;
  totalMs: number;
}

export interface CompactionContext {
  dataDir: string;
  modelId: string;
  dimensions: number;
  hnsw: HnswParameters;
  store: ArticleStore;
  logger: Logger;
  /** The indexes now (they are replaced wholesale if the store had to be reloaded). */
  currentIndexes: () => LoadedIndexes;
  /** Runs the swap with writes held off (the engine's write queue). */
  serialise: <T>(work: () => Promise<T>) => Promise<T>;
  /** Labels changed since the snapshot (a new set the engine adds to as it applies changes). */
  changedLabels: Set<number>;
  /** Tells the engine which change sequence the saved graph now holds (null: save it again). */
  markSaved: (seq: number | null) => void;
  isClosed: () => boolean;
  /** Lets the engine stop the worker on close. */
  onCancel: (cancel: () => void) => void;
  /** Awaited after the build and before the swap is queued (lets a caller land writes in between). */
  beforeSwap?: () => Promise<void>;
}

/** True once tombstones reach both the share of slots and the minimum count. */
export function needsCompaction(graph: HnswVectorIndex, threshold: { deletedFraction: number; minDeleted: number }): boolean {
  const tombstones = graph.tombstoneCount();
  return tombstones >= threshold.minDeleted && tombstones >= threshold.deletedFraction * graph.slotCount();
}

/**
 * Rebuilds the HNSW graph without its tombstones, in the background, and swaps it in
 * atomically. The vectors come from the exact index, the in-memory mirror of the vectors the
 * store holds, at a known change sequence (the snapshot). A worker thread builds and writes the
 * new graph; then, with writes held off, the main thread loads it, replays the changes applied
 * since the snapshot, and swaps it for the old one in one assignment: a query sees the old
 * graph or the new one. The new file becomes the saved graph (its manifest says the snapshot's
 * sequence number, so a restart replays what came after), or, if the change log no longer
 * reaches back that far, the swapped graph is saved whole. Returns null when cancelled (the
 * engine closed) or overtaken (the indexes were reloaded).
 */
export async function compactGraph(context: CompactionContext): Promise<CompactionReport | null> {
  const started = performance.now();
  const indexes = context.currentIndexes();
  const snapshotSeq = indexes.appliedSeq;
  const tombstonesRemoved = indexes.graph?.tombstoneCount() ?? 0;
  const { labels, vectors } = indexes.exact.snapshot();
  const live = labels.length;
  const path = compactionFilePath(context.dataDir);
  const build = buildGraphInWorker({
    dimensions: context.dimensions,
    parameters: context.hnsw,
    capacity: Math.max(1024, Math.ceil(live * 1.25)),
    labels,
    vectors,
    path,
  });
  context.onCancel(build.cancel);
  const removeFile = () => rmSync(path, { force: true });
  const built = await build.done.catch((error: unknown) => {
    removeFile();
    throw error;
  });
  const buildMs = performance.now() - started;
  if (!built) {
    removeFile();
    return null;
  }
  await context.beforeSwap?.();

  return context.serialise(async () => {
    if (context.isClosed() || context.currentIndexes() !== indexes) {
      removeFile();
      return null;
    }
    const swapStarted = performance.now();
    const graph = HnswVectorIndex.load(path, context.dimensions, context.hnsw, []);
    for (const label of context.changedLabels) {
      const vector = indexes.exact.getVector(label);
      if (vector === null) graph.remove(label);
      else graph.upsert(label, vector);
    }
    const replayed = context.changedLabels.size;
    const replaced = indexes.graph;
    indexes.graph = graph;
    // Its native memory goes back now (or once a recall check holding it ends), not at V8's leisure.
    replaced?.retire();
    if (context.store.oldestReplayableSeq() <= snapshotSeq) {
      commitGraphFile(context.dataDir, path, {
        modelId: context.modelId,
        seq: snapshotSeq,
        dimensions: context.dimensions,
        parameters: context.hnsw,
        count: live,
        deletedNodes: [],
        relabeledNodes: [],
      });
      context.markSaved(snapshotSeq);
    } else {
      removeFile();
      context.markSaved(null);
    }
    const swapMs = performance.now() - swapStarted;
    const report = { live: graph.size(), tombstonesRemoved, replayed, buildMs, swapMs, totalMs: performance.now() - started };
    context.logger.info(report, "graph compacted");
    return report;
  });
}
