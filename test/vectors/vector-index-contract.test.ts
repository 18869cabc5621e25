import { describe, expect, it } from "vitest";
import { ExactVectorIndex } from "../../src/vectors/exact-vector-index.ts";
import { HnswVectorIndex } from "../../src/vectors/hnsw-vector-index.ts";
import type { VectorIndex } from "../../src/vectors/vector-index.ts";
import { clusteredUnitVectors } from "../support/synthetic-vectors.ts";

/**
 * The VectorIndex port's contract, run against every implementation (HNSW and exact), as the
 * store ports' suites are (test/store/contracts/): what the engine relies on from either.
 * Recall of HNSW against exact is in vector-indexes.test.ts.
 */
const implementations: { name: string; create: (dimensions: number) => VectorIndex }[] = [
  { name: "HNSW", create: (dimensions) => HnswVectorIndex.create(dimensions, { m: 16, efConstruction: 200, efSearch: 128 }, 10) },
  { name: "exact", create: (dimensions) => new ExactVectorIndex(dimensions) },
];

const dimensions = 16;
const vectors = clusteredUnitVectors(60, dimensions, 6, 3);

for (const { name, create } of implementations) {
  describe(`VectorIndex contract: ${name}`, () => {
    const filled = () => {
      const index = create(dimensions);
      vectors.forEach((vector, label) => index.upsert(label, vector));
      return index;
    };

    it("counts live vectors and knows which labels it holds, growing past its first capacity", () => {
      const index = filled();
      expect(index.dimensions).toBe(dimensions);
      expect(index.size()).toBe(60);
      expect(index.has(59)).toBe(true);
      expect(index.has(60)).toBe(false);
    });

    it("finds a stored vector itself first, with its inner product as score, best first", () => {
      const index = filled();
      const results = index.search(vectors[17]!, 5);
      expect(results).toHaveLength(5);
      expect(results[0]!.label).toBe(17);
      expect(results[0]!.score).toBeCloseTo(1, 5);
      for (let i = 1; i < results.length; i++) expect(results[i]!.score).toBeLessThanOrEqual(results[i - 1]!.score);
    });

    it("replaces a label's vector in place on upsert", () => {
      const index = filled();
      index.upsert(3, vectors[40]!);
      expect(index.size()).toBe(60);
      expect(
        index
          .search(vectors[40]!, 2)
          .map((neighbor) => neighbor.label)
          .sort((a, b) => a - b),
      ).toEqual([3, 40]);
    });

    it("never returns a removed label, and ignores removing an unknown one", () => {
      const index = filled();
      index.remove(17);
      index.remove(1_000);
      expect(index.has(17)).toBe(false);
      expect(index.size()).toBe(59);
      expect(index.search(vectors[17]!, 59).some((neighbor) => neighbor.label === 17)).toBe(false);
    });

    it("returns only labels the filter accepts, up to k", () => {
      const index = filled();
      const odd = index.search(vectors[0]!, 10, (label) => label % 2 === 1);
      expect(odd).toHaveLength(10);
      expect(odd.every((neighbor) => neighbor.label % 2 === 1)).toBe(true);
      expect(index.search(vectors[0]!, 10, () => false)).toEqual([]);
    });

    it("refuses a vector of the wrong dimension, naming the label", () => {
      expect(() => create(dimensions).upsert(5, new Float32Array(dimensions - 1))).toThrow(/label 5 has 15 dimensions; the index holds 16/);
    });
  });
}
