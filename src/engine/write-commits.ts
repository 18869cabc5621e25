import { AsyncLocalStorage } from "node:async_hooks";

/**
 * Tells whoever started a write the moment its changes are committed to the store, before the
 * process's own indexes have applied them. A multi-process server (http/worker-routing.ts)
 * asks its reader processes to replay the write from there, so their replay runs beside the
 * writer's own instead of after it: the write's answer still waits for both.
 */
const listeners = new AsyncLocalStorage<(seq: number) => void>();

/** Runs `work` with `onCommitted` hearing the highest change sequence number of each commit it makes. */
export function whenWritesCommit<T>(onCommitted: (seq: number) => void, work: () => T): T {
  return listeners.run(onCommitted, work);
}

/** Announces a commit of the write in progress (a no-op outside `whenWritesCommit`). */
export function announceCommit(seqs: readonly number[]): void {
  if (seqs.length === 0) return;
  listeners.getStore()?.(Math.max(...seqs));
}
