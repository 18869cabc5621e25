import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { HnswVectorIndex } from "../../src/vectors/hnsw-vector-index.ts";
import type { Neighbor } from "../../src/vectors/vector-index.ts";
import { clusteredUnitVectors } from "../support/synthetic-vectors.ts";

// A narrow search width, so an approximate walk differs visibly from any shortcut that is not the same walk.
const parameters = { m: 8, efConstruction: 64, efSearch: 16 };
const dimensions = 64;

describe("HNSW search excluding a few labels", () => {
  const vectors = clusteredUnitVectors(3_000, dimensions, 30, 7);
  const graph = HnswVectorIndex.create(dimensions, parameters, 1_000);
  vectors.forEach((vector, label) => graph.upsert(label, vector));
  // Tombstones and relabeled nodes, as a graph grown by writes has them.
  for (let label = 0; label < 3_000; label += 37) graph.remove(label);
  for (let label = 5; label < 3_000; label += 41) graph.upsert(label, vectors[(label * 7) % 3_000]!);

  const exclusionsOf = (query: number) => new Set([query, (query * 13 + 5) % 3_000, 5, 46]);

  it("returns exactly what a filter rejecting the same labels returns, over 300 queries", () => {
    let compared = 0;
    for (let query = 1; query < 3_000; query += 10) {
      const excluded = exclusionsOf(query);
      const filtered = graph.search(vectors[query]!, 20, (label) => !excluded.has(label));
      expect(graph.searchExcluding(vectors[query]!, 20, excluded), `query ${query}`).toEqual(filtered);
      compared++;
    }
    expect(compared).toBe(300);
  });

  it("differs from searching wider without a filter and dropping the excluded (so the test above can tell the two apart)", () => {
    const differing = [];
    for (let query = 1; query < 3_000; query += 10) {
      const excluded = exclusionsOf(query);
      const filtered = graph.search(vectors[query]!, 20, (label) => !excluded.has(label));
      const dropped = graph
        .search(vectors[query]!, 20 + excluded.size)
        .filter((neighbor: Neighbor) => !excluded.has(neighbor.label))
        .slice(0, 20);
      if (JSON.stringify(dropped) !== JSON.stringify(filtered)) differing.push(query);
    }
    expect(differing.length).toBeGreaterThan(0);
  });

  it("leaves no mark behind: the excluded labels are found again and the tombstones are as before", () => {
    const tombstones = graph.tombstoneCount();
    const query = 101;
    expect(graph.searchExcluding(vectors[query]!, 5, new Set([query]))!.some((neighbor) => neighbor.label === query)).toBe(false);
    expect(graph.tombstoneCount()).toBe(tombstones);
    expect(graph.search(vectors[query]!, 1)[0]!.label).toBe(query);
    expect(graph.searchExcluding(vectors[query]!, 1, new Set())![0]!.label).toBe(query);
  });

  it("declines (null) while a background write reads the graph, and searches again once it is done", async () => {
    const dir = mkdtempSync(join(tmpdir(), "kindred-exclude-"));
    try {
      const writing = graph.writeToInBackground(join(dir, "graph.bin"));
      expect(graph.searchExcluding(vectors[11]!, 5, new Set([11]))).toBeNull();
      await writing;
      expect(graph.searchExcluding(vectors[11]!, 5, new Set([11]))).toHaveLength(5);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
