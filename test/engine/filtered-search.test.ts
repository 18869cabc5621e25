import { describe, expect, it } from "vitest";
import type { CatalogEntry } from "../../src/core/related/catalog-entry.ts";
import { createFilterPredicate, noFilters, type RelatedFilters } from "../../src/core/related/related-filters.ts";
import { ArticleCatalog } from "../../src/engine/article-catalog.ts";
import { autoExactScanLimit, searchCandidates } from "../../src/engine/search-candidates.ts";
import { ExactVectorIndex } from "../../src/vectors/exact-vector-index.ts";
import { HnswVectorIndex } from "../../src/vectors/hnsw-vector-index.ts";
import { articleSummary } from "../support/article-summary.ts";
import { clusteredUnitVectors } from "../support/synthetic-vectors.ts";

/** 5,000 articles: topic "rare" on 1% (every 100th), "half" on 50%, dates one per hour. */
function buildIndexes() {
  const dimensions = 64;
  const vectors = clusteredUnitVectors(5_000, dimensions, 25, 7);
  const graph = HnswVectorIndex.create(dimensions, { m: 16, efConstruction: 100, efSearch: 64 }, 5_000);
  const exact = new ExactVectorIndex(dimensions, 5_000);
  const catalog = new ArticleCatalog();
  vectors.forEach((vector, label) => {
    graph.upsert(label, vector);
    exact.upsert(label, vector);
    const topics = [label % 100 === 0 ? "rare" : "common", ...(label % 2 === 0 ? ["half"] : [])];
    catalog.upsert(articleSummary(label, { topics, publishedMs: Date.UTC(2025, 0, 1) + label * 3_600_000 }));
  });
  return { graph, exact, catalog, vectors };
}

const { graph, exact, catalog, vectors } = buildIndexes();
const noExclusions = { labels: new Set<number>(), textHashes: new Set<string>() };

function search(filters: RelatedFilters, want: number, exactScanMaxCandidates: number | undefined, query = vectors[4_321]!) {
  const predicate = createFilterPredicate(filters, noExclusions);
  return searchCandidates({ graph, exact, catalog, exactScanMaxCandidates }, { query, accept: predicate, filters, want });
}

const matches = (filters: RelatedFilters) => (label: number) => createFilterPredicate(filters, noExclusions)(catalog.get(label) as CatalogEntry);

describe("filtered search", () => {
  it("returns k results at 1% selectivity by scanning the matching articles exactly", () => {
    const filters = { ...noFilters, topics: ["rare"] };
    const { neighbors, plan } = search(filters, 10, 1_000);
    expect(plan).toBe("exact-subset");
    expect(neighbors).toHaveLength(10);
    expect(neighbors.every(({ label }) => matches(filters)(label))).toBe(true);
    expect(neighbors.map(({ label }) => label)).toEqual(exact.search(vectors[4_321]!, 10, matches(filters)).map(({ label }) => label));
  });

  it("still returns k results at 1% selectivity when forced through HNSW", () => {
    const filters = { ...noFilters, topics: ["rare"] };
    const { neighbors } = search(filters, 10, 0);
    expect(neighbors).toHaveLength(10);
    expect(neighbors.every(({ label }) => label % 100 === 0)).toBe(true);
  });

  it("returns every match when fewer than k match", () => {
    const filters = { ...noFilters, topics: ["rare"], sinceMs: Date.UTC(2025, 0, 1) + 4_700 * 3_600_000 };
    const { neighbors } = search(filters, 10, 0);
    expect(neighbors.map(({ label }) => label).sort((a, b) => a - b)).toEqual([4_700, 4_800, 4_900]);
  });

  it("uses the graph with the filter inside for broad filters", () => {
    const filters = { ...noFilters, topics: ["half"] };
    const { neighbors, plan } = search(filters, 10, 1_000);
    expect(plan).toBe("hnsw-filtered");
    expect(neighbors).toHaveLength(10);
    expect(neighbors.every(({ label }) => label % 2 === 0)).toBe(true);
  });

  it("by default scans exactly up to about 15 sqrt(N) matches, where a filtered graph walk starts to cost more", () => {
    expect([10_000, 100_000, 1_000_000].map(autoExactScanLimit)).toEqual([1_500, 4_743, 15_000]);
    expect(autoExactScanLimit(graph.size())).toBe(1_061);
    expect(search({ ...noFilters, topics: ["rare"] }, 10, undefined).plan).toBe("exact-subset"); // 50 match
    expect(search({ ...noFilters, topics: ["half"] }, 10, undefined).plan).toBe("hnsw-filtered"); // 2,500 match
  });

  it("applies date bounds inclusively and excluded topics", () => {
    const since = Date.UTC(2025, 0, 1) + 100 * 3_600_000;
    const until = Date.UTC(2025, 0, 1) + 119 * 3_600_000;
    const filters = { ...noFilters, sinceMs: since, untilMs: until, excludeTopics: ["half"] };
    const { neighbors } = search(filters, 20, 1_000);
    expect(neighbors.map(({ label }) => label).sort((a, b) => a - b)).toEqual([101, 103, 105, 107, 109, 111, 113, 115, 117, 119]);
  });

  it("never returns excluded ids", () => {
    const query = vectors[10]!;
    const nearest = exact.search(query, 5).map(({ label }) => `a${label}`);
    const filters = { ...noFilters, excludeIds: nearest };
    const { neighbors } = search(filters, 5, 1_000, query);
    expect(neighbors).toHaveLength(5);
    expect(neighbors.some(({ label }) => nearest.includes(`a${label}`))).toBe(false);
  });
});
