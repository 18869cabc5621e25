import type { PassagePlan } from "../core/embed-text.ts";
import type { Logger } from "../log/logger.ts";
import type { HnswParameters } from "../vectors/hnsw-vector-index.ts";
import type { StoreWriter } from "./store-writer.ts";

export interface EngineOptions {
  dataDir: string;
  modelId: string;
  dimensions: number;
  hnsw: HnswParameters;
  /** Undefined: the planner's own limit (`autoExactScanLimit`). */
  exactScanMaxCandidates?: number | undefined;
  logger: Logger;
  /** Related lists kept in memory (0: no cache); default `engineDefaults.relatedCacheEntries`. */
  relatedCacheEntries?: number;
  /** ...and at most this many bytes of them (estimated, engine/cached-list.ts); default `engineDefaults.relatedCacheBytes`. */
  relatedCacheBytes?: number;
  /** When to rebuild the graph without its tombstones; default `engineDefaults.compaction`. */
  compaction?: { deletedFraction: number; minDeleted: number };
  /** Topics that are no relatedness signal (e.g. "featured", "sponsored"): they neither attract nor are shared. */
  noiseTopics?: readonly string[];
  /** The clock recency decay measures age against (tests fix it). */
  now?: () => number;
  /**
   * The graph's recall self-check (engine/graph-recall.ts): `queries` sampled articles (0: never
   * on open), recall@`k` against the exact index; below `floor` the graph is rebuilt in the
   * background. Runs once the indexes are loaded, and on demand.
   */
  recallCheck?: RecallCheckSettings;
  /** Where writes are prepared and stored: a thread of its own (`WorkerStoreWriter`) in `kindred serve`; default the calling thread. */
  writer?: StoreWriter;
  /** Characters of title and text per store transaction within one write call (default `engineDefaults.writeChunkChars`). */
  writeChunkChars?: number;
  /** Which passages of a long article the model embeds (default `selected`; core/embed-text.ts). */
  passagePlan?: PassagePlan;
}

/** `queries` sampled articles (0: never on open), recall@`k` against the exact index; below `floor` the graph is rebuilt. */
export interface RecallCheckSettings {
  queries: number;
  k: number;
  floor: number;
  onOpen?: boolean;
}

/**
 * The engine's defaults, defined once: the configuration (config/config.ts) takes its defaults
 * from here, and an engine opened without them (tests, benches) gets the same.
 */
export const engineDefaults = Object.freeze({
  relatedCacheEntries: 10_000,
  relatedCacheBytes: 64 * 1024 * 1024,
  writeChunkChars: 4 * 1024 * 1024,
  /** Rebuild the graph once tombstones are 10% of its slots and at least 1,000. */
  compaction: Object.freeze({ deletedFraction: 0.1, minDeleted: 1_000 }),
  recallCheck: Object.freeze<RecallCheckSettings>({ queries: 200, k: 10, floor: 0.95 }),
});
