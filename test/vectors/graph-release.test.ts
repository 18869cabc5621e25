import { join } from "node:path";
import { afterAll, describe, expect, inject, it } from "vitest";
import { LiveIndexes } from "../../src/engine/live-indexes.ts";
import { WriteQueue } from "../../src/engine/write-queue.ts";
import { silentLogger } from "../../src/log/logger.ts";
import { SqliteArticleStore } from "../../src/store/sqlite-article-store.ts";
import { HnswVectorIndex } from "../../src/vectors/hnsw-vector-index.ts";
import { clusteredUnitVectors } from "../support/synthetic-vectors.ts";
import { copyDataDir, useTempDir } from "../support/temp-dir.ts";

const parameters = { m: 16, efConstruction: 100, efSearch: 64 };
const dimensions = 32;

function graphOf(vectors: readonly Float32Array[]): HnswVectorIndex {
  const graph = HnswVectorIndex.create(dimensions, parameters, vectors.length);
  vectors.forEach((vector, label) => graph.upsert(label, vector));
  return graph;
}

// A replaced graph's native memory used to be freed only when V8 collected its small wrapper,
// so each compaction left the old graph's hundreds of MB in the process for an unknown while.
describe("releasing a replaced graph", () => {
  const vectors = clusteredUnitVectors(600, dimensions, 12, 7);

  it("releases a retired graph at once when nothing holds it, and a use after that throws", () => {
    const graph = graphOf(vectors);
    graph.retire();
    expect(graph.released).toBe(true);
    expect(() => graph.search(vectors[3]!, 5)).toThrow(/released after another replaced it/);
    expect(() => graph.searchExcluding(vectors[3]!, 5, new Set([3]))).toThrow(/released/);
    expect(() => graph.upsert(1000, vectors[4]!)).toThrow(/released/);
    expect(() => graph.remove(3)).toThrow(/released/);
    expect(() => graph.size()).toThrow(/released/);
    expect(() => graph.lease()).toThrow(/released/);
  });

  it("keeps a leased graph whole after it is retired, and releases it when the last lease ends", () => {
    const graph = graphOf(vectors);
    const before = vectors.slice(0, 20).map((vector) => graph.search(vector, 10));
    const first = graph.lease();
    const second = graph.lease();
    graph.retire();
    expect(graph.released).toBe(false);
    // A query holding a lease across the swap still gets the answers it would have got.
    expect(vectors.slice(0, 20).map((vector) => graph.search(vector, 10))).toEqual(before);
    first.end();
    first.end(); // ending twice counts once
    expect(graph.released).toBe(false);
    expect(graph.search(vectors[0]!, 10)).toEqual(before[0]);
    second.end();
    expect(graph.released).toBe(true);
    expect(() => graph.search(vectors[0]!, 10)).toThrow(/released/);
  });

  it("lets a background save retired under it finish its file before releasing", async () => {
    const graph = graphOf(vectors);
    const path = join(useTempDir(), "graph.hnsw");
    const writing = graph.writeToInBackground(path);
    graph.retire();
    expect(graph.released).toBe(false);
    await writing;
    expect(graph.released).toBe(true);
    const reloaded = HnswVectorIndex.load(path, dimensions, parameters, []);
    expect(reloaded.size()).toBe(vectors.length);
    expect(reloaded.search(vectors[5]!, 1)[0]!.label).toBe(5);
  });
});

describe("a compaction and a follower's taking of the writer's graph release the graph they replace", () => {
  const dataDir = copyDataDir(inject("demoIndexDir"));
  const stores: SqliteArticleStore[] = [];
  const lives: LiveIndexes[] = [];
  const compaction = { deletedFraction: 0.04, minDeleted: 10 };
  const listener = { recordChange() {}, clear() {} };
  function open(follower: boolean): LiveIndexes {
    const store = SqliteArticleStore.open(dataDir);
    const pin = store.getModelPin()!;
    const options = { dataDir, modelId: pin.modelId, dimensions: pin.dimensions, hnsw: { m: 16, efConstruction: 200, efSearch: 128 }, logger: silentLogger() };
    const live = new LiveIndexes(store, { ...options, compaction, follower }, new WriteQueue(), listener);
    stores.push(store);
    lives.push(live);
    return live;
  }
  afterAll(() => {
    for (const live of lives.reverse()) live.close();
    for (const store of stores) store.close();
  });

  it("keeps the old graph for a lease held across the swap, then releases it", async () => {
    const writer = open(false);
    const old = writer.current.graph!;
    const queries = [...writer.current.exact.labels()].slice(0, 15);
    const answers = queries.map((label) => old.search(writer.current.exact.getVector(label)!, 10));
    const lease = old.lease();
    expect(await writer.compactGraph()).not.toBeNull();
    expect(writer.current.graph).not.toBe(old);
    expect(old.released).toBe(false);
    expect(queries.map((label) => old.search(writer.current.exact.getVector(label)!, 10))).toEqual(answers);
    lease.end();
    expect(old.released).toBe(true);
    expect(() => old.search(writer.current.exact.getVector(queries[0]!)!, 10)).toThrow(/released/);

    // Nothing holding it: the graph replaced by the next compaction goes at the swap.
    const compacted = writer.current.graph!;
    expect(await writer.compactGraph()).not.toBeNull();
    expect(compacted.released).toBe(true);
    expect(writer.current.graph!.released).toBe(false);
  });

  it("releases the follower's graph once it takes the writer's compacted one", async () => {
    const writer = lives[0]!;
    const follower = open(true);
    const followerGraph = follower.current.graph!;
    const ids = [...stores[0]!.listSummaries()].slice(0, 14).map((article) => article.id);
    stores[0]!.deleteArticles(ids);
    await writer.sync();
    await writer.waitForCompaction();
    expect(writer.graphStats()).toMatchObject({ tombstones: 0 });
    await follower.sync();
    await follower.waitForCompaction();
    expect(follower.current.graph).not.toBe(followerGraph);
    expect(follower.graphStats()).toMatchObject({ live: writer.graphStats().live, tombstones: 0 });
    expect(followerGraph.released).toBe(true);
  });
});
