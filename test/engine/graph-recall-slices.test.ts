import { setImmediate as nextTurn } from "node:timers/promises";
import { describe, expect, it } from "vitest";
import { mulberry32 } from "../../src/core/seeded-random.ts";
import { normalizeInPlace } from "../../src/core/vector-math.ts";
import { measureGraphRecall } from "../../src/engine/graph-recall.ts";
import { ExactVectorIndex } from "../../src/vectors/exact-vector-index.ts";
import { TopK } from "../../src/vectors/top-k.ts";

/**
 * The recall self-check runs in a serving process right after it opens. Its exact scans were
 * done a whole query (two, in fact) per turn of the event loop; at 100k articles that held the
 * loop for long stretches and queued every request behind it. These tests pin the slicing
 * without timing anything: the check must give the loop back within a query's scan, and a write
 * landing between two slices must not mix states.
 */
const dimensions = 16;

function randomIndex(count: number, seed: number): ExactVectorIndex {
  const random = mulberry32(seed);
  const index = new ExactVectorIndex(dimensions);
  for (let label = 0; label < count; label++) index.upsert(label, randomVector(random));
  return index;
}

function randomVector(random: () => number): Float32Array {
  return normalizeInPlace(Float32Array.from({ length: dimensions }, () => random() - 0.5));
}

/** Counts turns of the event loop that other work got while `work` ran. */
async function turnsDuring<T>(work: Promise<T>): Promise<{ result: T; turns: number }> {
  let turns = 0;
  let done = false;
  const counting = (async () => {
    while (!done) {
      await nextTurn();
      turns++;
    }
  })();
  const result = await work;
  done = true;
  await counting;
  return { result, turns };
}

describe("graph recall self-check in slices", () => {
  it("scans range by range into the same answer as one exact search", () => {
    const index = randomIndex(5000, 1);
    index.remove(17);
    index.remove(4001);
    const query = randomVector(mulberry32(9));
    const top = new TopK(10);
    for (let from = 0; from < index.slotCount(); from += 777) index.scanSlots(query, from, from + 777, top);
    expect(top.sorted()).toEqual(index.search(query, 10));
  });

  it("gives the event loop back within one query's scan", async () => {
    const exact = randomIndex(8 * 1024, 2);
    const queries = 6;
    // sliceMs 0: yield at every chance, so the count is the number of chances (no clock involved).
    const { result, turns } = await turnsDuring(
      measureGraphRecall(exact, exact, { queries, k: 10, recentLabels: [], reason: "on_demand", sliceMs: 0, busyPauseMs: 0 }),
    );
    expect(result.queries).toBe(queries);
    expect(result.recall).toBe(1); // the exact index checked against itself
    // Eight ranges of 1,024 vectors per query: more turns than queries means it yields inside a scan
    // (the old check yielded every second query: 3 turns here).
    expect(turns).toBeGreaterThanOrEqual(queries * 7);
  });

  it("scans a query again when a write comes between two of its ranges, and still measures every query", async () => {
    const exact = randomIndex(8 * 1024, 3);
    const queries = 6;
    let ranges = 0;
    const scanSlots = exact.scanSlots.bind(exact);
    exact.scanSlots = (...args) => {
      ranges++;
      scanSlots(...args);
    };
    const check = measureGraphRecall(exact, exact, { queries, k: 10, recentLabels: [], reason: "on_demand", sliceMs: 0, busyPauseMs: 0 });
    // A write a few turns in, while the first query's scan is under way.
    for (let turn = 0; turn < 3; turn++) await nextTurn();
    exact.upsert(123_456, randomVector(mulberry32(4)));
    const report = await check;
    expect(report.queries).toBe(queries);
    expect(report.recall).toBe(1);
    // Eight ranges a query, and the interrupted scan's ranges again (the new vector adds a ninth range after the write).
    expect(ranges).toBeGreaterThan(queries * 8);
  });

  it("scans in one piece a query that writes keep interrupting, rather than measure nothing", async () => {
    const exact = randomIndex(8 * 1024, 5);
    let writing = true;
    const writes = (async () => {
      for (let label = 200_000; writing; label++) {
        exact.upsert(label, randomVector(mulberry32(label)));
        await nextTurn();
      }
    })();
    const report = await measureGraphRecall(exact, exact, { queries: 3, k: 10, recentLabels: [], reason: "on_demand", sliceMs: 0, busyPauseMs: 0 });
    writing = false;
    await writes;
    expect(report.queries).toBe(3);
    expect(report.recall).toBe(1);
  });
});
