import { availableParallelism } from "node:os";
import { afterAll, describe, expect, it } from "vitest";
import { defaultWorkerPlan, WorkerPoolEmbedder } from "../../src/embed/worker-pool-embedder.ts";

/** Long passages, so each batch keeps a worker busy for a while. */
const passages = Array.from(
  { length: 160 },
  (_, i) => `Passage ${i}: ${"the council met again on tuesday to discuss the flood defences and the budget ".repeat(8)}`,
);

/** Keeps the main thread's event loop busy in slices until `done` resolves. */
async function keepMainThreadBusyUntil(done: Promise<unknown>): Promise<void> {
  let finished = false;
  void done.then(() => (finished = true));
  while (!finished) {
    const until = performance.now() + 40;
    while (performance.now() < until) {
      // spin: the main thread is "parsing and writing" here
    }
    await new Promise((resolve) => setImmediate(resolve));
  }
}

describe("adaptive embedding workers", () => {
  const pools: WorkerPoolEmbedder[] = [];
  afterAll(async () => {
    for (const pool of pools) await pool.close();
  });

  it("defaults to up to one worker per core, at most 4: adaptive in a server, all started for a bulk load", () => {
    expect([1, 2, 4, 8].map((cores) => defaultWorkerPlan(cores))).toEqual([1, 2, 4, 4].map((upTo) => ({ kind: "adaptive", upTo })));
    expect([1, 2, 4, 8].map((cores) => defaultWorkerPlan(cores, "bulk"))).toEqual([1, 2, 4, 4].map((count) => ({ kind: "fixed", count })));
  });

  it("leaves the busy main thread its core", async () => {
    // upTo 3, another pool than the test above, so its workers start from one
    const pool = await WorkerPoolEmbedder.start({ modelId: "google/use-lite", modelsDir: "models" }, { kind: "adaptive", upTo: 3 }, 8);
    pools.push(pool);
    const embedding = pool.embed(passages);
    await keepMainThreadBusyUntil(embedding);
    expect(await embedding).toHaveLength(passages.length);
    // on 2 cores: one worker
    expect(pool.workerCount).toBe(Math.max(1, Math.min(3, availableParallelism() - 1)));
  });
});
