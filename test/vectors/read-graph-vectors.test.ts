import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { ExactVectorIndex } from "../../src/vectors/exact-vector-index.ts";
import { HnswVectorIndex } from "../../src/vectors/hnsw-vector-index.ts";
import { readGraphVectors } from "../../src/vectors/read-graph-vectors.ts";
import { VectorStorage } from "../../src/vectors/vector-storage.ts";
import { clusteredUnitVectors } from "../support/synthetic-vectors.ts";
import { useTempDir } from "../support/temp-dir.ts";

const parameters = { m: 16, efConstruction: 100, efSearch: 64 };

describe("vectors read back from a saved graph file", () => {
  const dimensions = 64;
  const dir = useTempDir();

  it("returns every live vector bit for bit with its label, and none of the deleted", () => {
    const vectors = clusteredUnitVectors(3_000, dimensions, 20, 3);
    const graph = HnswVectorIndex.create(dimensions, parameters, 1_000);
    vectors.forEach((vector, index) => graph.upsert(index + 1, vector));
    for (let label = 1; label <= 3_000; label += 7) graph.remove(label);
    const path = join(dir, "graph.hnsw");
    graph.writeTo(path);

    const { labels, vectors: packed } = readGraphVectors(path, dimensions, new Set(graph.deletedNodes()));
    expect(labels.length).toBe(graph.size());
    const exact = ExactVectorIndex.fromPacked(dimensions, labels, packed);
    expect(exact.size()).toBe(graph.size());
    for (let label = 1; label <= 3_000; label++) {
      if ((label - 1) % 7 === 0) expect(exact.has(label)).toBe(false);
      else expect(Array.from(exact.getVector(label)!)).toEqual(Array.from(vectors[label - 1]!));
    }
  });

  it("reads them straight into an exact index's storage (after the SIMD kernel's scratch), bit for bit", () => {
    const vectors = clusteredUnitVectors(500, dimensions, 5, 6);
    const graph = HnswVectorIndex.create(dimensions, parameters, 500);
    vectors.forEach((vector, index) => graph.upsert(index + 1, vector));
    graph.remove(250);
    const path = join(dir, "into-storage.hnsw");
    graph.writeTo(path);

    const storage = new VectorStorage(dimensions, 0);
    const { labels } = readGraphVectors(path, dimensions, new Set(graph.deletedNodes()), (floats) => {
      storage.resize(floats);
      return storage.floats;
    });
    expect(storage.simd).toBe(true);
    const exact = ExactVectorIndex.fromStorage(labels, storage);
    expect(exact.size()).toBe(499);
    for (let label = 1; label <= 500; label++) {
      if (label === 250) expect(exact.has(label)).toBe(false);
      else expect(Array.from(exact.getVector(label)!)).toEqual(Array.from(vectors[label - 1]!));
    }
  });

  it("refuses a file whose layout does not hold vectors of the expected dimensions", () => {
    const graph = HnswVectorIndex.create(dimensions, parameters, 16);
    graph.upsert(1, clusteredUnitVectors(1, dimensions, 1, 4)[0]!);
    const path = join(dir, "small.hnsw");
    graph.writeTo(path);
    expect(() => readGraphVectors(path, dimensions * 2, new Set())).toThrow(/does not hold 128-dimensional/);
  });
});

describe("an exact index over packed vectors", () => {
  it("searches and grows like one filled by upserts", () => {
    const vectors = clusteredUnitVectors(50, 16, 3, 5);
    const packed = new Float32Array(50 * 16);
    vectors.forEach((vector, row) => packed.set(vector, row * 16));
    const fromPacked = ExactVectorIndex.fromPacked(
      16,
      vectors.map((_, row) => row + 10),
      packed,
    );
    const upserted = new ExactVectorIndex(16);
    vectors.forEach((vector, row) => upserted.upsert(row + 10, vector));
    expect(fromPacked.search(vectors[3]!, 5)).toEqual(upserted.search(vectors[3]!, 5));
    fromPacked.upsert(999, vectors[0]!);
    fromPacked.remove(10);
    expect(fromPacked.size()).toBe(50);
    expect(fromPacked.search(vectors[0]!, 1)[0]!.label).toBe(999);
  });
});
