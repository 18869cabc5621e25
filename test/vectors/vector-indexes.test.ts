import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { ExactVectorIndex } from "../../src/vectors/exact-vector-index.ts";
import { HnswVectorIndex } from "../../src/vectors/hnsw-vector-index.ts";
import { clusteredUnitVectors } from "../support/synthetic-vectors.ts";

const parameters = { m: 16, efConstruction: 200, efSearch: 128 };

describe("HNSW against the exact index", () => {
  const dimensions = 512;
  const vectors = clusteredUnitVectors(4_000, dimensions, 40, 1);
  const queries = clusteredUnitVectors(200, dimensions, 40, 2);
  const hnsw = HnswVectorIndex.create(dimensions, parameters, 1_000);
  const exact = new ExactVectorIndex(dimensions);
  vectors.forEach((vector, label) => {
    hnsw.upsert(label, vector);
    exact.upsert(label, vector);
  });

  it("finds at least 98% of the true top 10 (recall@10)", () => {
    let found = 0;
    for (const query of queries) {
      const truth = new Set(exact.search(query, 10).map((neighbor) => neighbor.label));
      found += hnsw.search(query, 10).filter((neighbor) => truth.has(neighbor.label)).length;
    }
    expect(found / (queries.length * 10)).toBeGreaterThanOrEqual(0.98);
  });

  it("scores are inner products, best first", () => {
    const results = hnsw.search(queries[0]!, 10);
    const expected = exact.search(queries[0]!, 1)[0]!;
    expect(results[0]!.score).toBeCloseTo(expected.score, 5);
    for (let i = 1; i < results.length; i++) expect(results[i]!.score).toBeLessThanOrEqual(results[i - 1]!.score);
  });

  // Slots are no longer reused (hnswlib's in-place replacement degrades the graph, see
  // hnsw-vector-index.ts): tombstones stay until compaction rebuilds without them.
  it("never returns removed labels; a new label is a new node, tombstones stay until compaction", () => {
    const index = HnswVectorIndex.create(dimensions, parameters, 100);
    vectors.slice(0, 100).forEach((vector, label) => index.upsert(label, vector));
    for (let label = 0; label < 30; label++) index.remove(label);
    expect(index.size()).toBe(70);
    expect(index.tombstoneCount()).toBe(30);
    expect(index.search(vectors[5]!, 100).some((neighbor) => neighbor.label < 30)).toBe(false);
    index.upsert(1_000, vectors[200]!);
    expect(index.tombstoneCount()).toBe(30);
    expect(index.slotCount()).toBe(101);
    expect(index.search(vectors[200]!, 1)[0]!.label).toBe(1_000);
  });

  it("inserts a changed vector as a new node under the same label, across a save and load", () => {
    const dir = mkdtempSync(join(tmpdir(), "kindred-hnsw-"));
    try {
      const index = HnswVectorIndex.create(dimensions, parameters, 100);
      vectors.slice(0, 100).forEach((vector, label) => index.upsert(label, vector));
      index.upsert(7, vectors[300]!);
      index.upsert(7, vectors[300]!); // the same vector again: nothing changes
      expect(index.size()).toBe(100);
      expect(index.tombstoneCount()).toBe(1);
      expect(index.search(vectors[300]!, 1)[0]).toMatchObject({ label: 7 });
      expect(index.search(vectors[7]!, 100).some((neighbor) => neighbor.label === 7 && neighbor.score > 0.999)).toBe(false);
      expect(index.search(vectors[300]!, 3, (label) => label !== 7).every((neighbor) => neighbor.label !== 7)).toBe(true);
      const path = join(dir, "graph.hnsw");
      index.writeTo(path);
      const loaded = HnswVectorIndex.load(path, dimensions, parameters, index.deletedNodes(), index.relabeledNodes());
      expect(loaded.size()).toBe(100);
      expect(loaded.tombstoneCount()).toBe(1);
      expect(loaded.search(vectors[300]!, 1)[0]).toMatchObject({ label: 7 });
      loaded.upsert(7, vectors[301]!);
      loaded.remove(8);
      expect(loaded.search(vectors[301]!, 1)[0]).toMatchObject({ label: 7 });
      expect(loaded.tombstoneCount()).toBe(3);
      expect(loaded.size()).toBe(99);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("applies the filter inside the search", () => {
    const even = hnsw.search(queries[3]!, 10, (label) => label % 2 === 0);
    expect(even).toHaveLength(10);
    expect(even.every((neighbor) => neighbor.label % 2 === 0)).toBe(true);
  });
});

describe("exact index", () => {
  it("searches among a subset and replaces vectors in place", () => {
    const [a, b, c] = clusteredUnitVectors(3, 8, 3, 9);
    const exact = new ExactVectorIndex(8, 1);
    exact.upsert(1, a!);
    exact.upsert(2, b!);
    exact.upsert(3, c!);
    expect(
      exact
        .searchAmong(a!, [2, 3, 99], 5)
        .map((neighbor) => neighbor.label)
        .sort(),
    ).toEqual([2, 3]);
    exact.upsert(2, a!);
    expect(
      exact
        .search(a!, 2)
        .map((neighbor) => neighbor.label)
        .sort(),
    ).toEqual([1, 2]);
    exact.remove(1);
    expect(exact.has(1)).toBe(false);
    expect(exact.search(a!, 1)[0]!.label).toBe(2);
  });

  it("refuses a vector of the wrong dimension", () => {
    expect(() => new ExactVectorIndex(4).upsert(1, new Float32Array(3))).toThrow(/3 dimensions; the index holds 4/);
  });
});
