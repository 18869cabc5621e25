import { AsyncLocalStorage } from "node:async_hooks";

/**
 * The parts of one write's latency: `room` (an accepted write waiting for room in the backlog,
 * engine/accepted-writes.ts), `journal` (journaling it durably), `prepare` (hashing and
 * passages on the store-writer thread), `embed` (the model, including waiting for a free embedding worker), `queue` (waiting
 * behind other writes for the store's order), `commit` (the store transaction), `apply` (the
 * in-memory indexes), `barrier` (every reader process replaying it, with `--http-workers`).
 */
export type WritePhase = "room" | "journal" | "prepare" | "embed" | "queue" | "commit" | "apply" | "barrier";

/** Milliseconds per phase of one request's writes (summed when a request writes in several chunks). */
export class WriteTimings {
  readonly #ms = new Map<WritePhase, number>();

  add(phase: WritePhase, ms: number): void {
    this.#ms.set(phase, (this.#ms.get(phase) ?? 0) + ms);
  }

  entries(): [WritePhase, number][] {
    return [...this.#ms];
  }

  /** As an HTTP `Server-Timing` value (W3C Server Timing), e.g. `embed;dur=12.5, commit;dur=3.1`. */
  toServerTiming(): string {
    return this.entries()
      .map(([phase, ms]) => `${phase};dur=${ms.toFixed(1)}`)
      .join(", ");
  }
}

// Asynchronous context rather than a parameter: the phases happen deep in the write path and
// the request that wants them is several layers up (http -> engine -> article writes).
const current = new AsyncLocalStorage<WriteTimings>();

/** Runs `work` with `timings` collecting the phases of every write it starts. */
export function collectWriteTimings<T>(timings: WriteTimings, work: () => T): T {
  return current.run(timings, work);
}

/** Times `work` as `phase` of the write in progress (a no-op outside `collectWriteTimings`). */
export async function timeWritePhase<T>(phase: WritePhase, work: () => Promise<T>): Promise<T> {
  const timings = current.getStore();
  if (timings === undefined) return work();
  const started = performance.now();
  try {
    return await work();
  } finally {
    timings.add(phase, performance.now() - started);
  }
}

/** Records `ms` as `phase` of the write in progress (a no-op outside `collectWriteTimings`). */
export function recordWritePhase(phase: WritePhase, ms: number): void {
  current.getStore()?.add(phase, ms);
}
