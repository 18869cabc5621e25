import type { KindredEngine } from "../engine/kindred-engine.ts";

/**
 * What the HTTP layer serves from. The server listens before the index is open (a first start
 * may be indexing the demo corpus), so `engine` is null until ready and `/readyz` says why.
 */
export interface ServiceState {
  engine: KindredEngine | null;
  /** Human-readable phase while not ready: "opening index", "indexing demo corpus", ... */
  phase: string;
  /**
   * Optional progress while not ready: records done, of `total` when known; a first start's
   * indexing gives bytes read of the input's size instead (snake_case: served as it is).
   */
  progress?: { done: number; total: number | null; bytes_read?: number; bytes_total?: number };
}
