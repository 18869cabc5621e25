import { describe, expect, it } from "vitest";
import { createFilterPredicate, noFilters } from "../../src/core/related/related-filters.ts";
import { ArticleCatalog } from "../../src/engine/article-catalog.ts";
import { createQueryFilter } from "../../src/engine/label-filter.ts";
import { searchCandidates } from "../../src/engine/search-candidates.ts";
import { ExactVectorIndex } from "../../src/vectors/exact-vector-index.ts";
import { HnswVectorIndex } from "../../src/vectors/hnsw-vector-index.ts";
import { articleSummary } from "../support/article-summary.ts";
import { mulberry32 } from "../support/synthetic-vectors.ts";

/**
 * A graph whose searches get lost: many small, tight clusters and a sparse graph (M 4, a narrow
 * build), so hnswlib's greedy descent often ends beside the wrong cluster and a beam of efSearch
 * candidates finds none of the query's neighbours, the failure behind the 1M synthetic tier's
 * misses (docs/performance.md). Deterministic: seeded vectors, hnswlib's fixed seed.
 */
function buildLostGraph() {
  const articles = 2_000;
  const dimensions = 32;
  const random = mulberry32(11);
  const gaussian = () => Math.sqrt(-2 * Math.log(random() + 1e-12)) * Math.cos(2 * Math.PI * random());
  const centres: Float32Array[] = [];
  const graph = HnswVectorIndex.create(dimensions, { m: 4, efConstruction: 16, efSearch: 10 }, articles);
  const exact = new ExactVectorIndex(dimensions, articles);
  const catalog = new ArticleCatalog();
  for (let label = 1; label <= articles; label++) {
    const cluster = Math.floor(random() * (articles / 10));
    centres[cluster] ??= Float32Array.from({ length: dimensions }, gaussian);
    const vector = Float32Array.from(centres[cluster]!, (value) => value + 0.3 * gaussian());
    const norm = Math.hypot(...vector);
    for (let i = 0; i < dimensions; i++) vector[i]! /= norm;
    graph.upsert(label, vector);
    exact.upsert(label, vector);
    catalog.upsert(articleSummary(label));
  }
  return { graph, exact, catalog, articles };
}

const { graph, exact, catalog, articles } = buildLostGraph();

/** Recall@10 of each related-by-id query's dense candidates against the exact top 10, with or without the query's label. */
function recallOfEveryQuery(passQueryLabel: boolean): number[] {
  const recalls: number[] = [];
  for (let label = 1; label <= articles; label++) {
    const query = exact.getVector(label)!;
    const exclusions = { labels: new Set([label]), textHashes: new Set([`t${label}`]) };
    const truth = new Set(exact.search(query, 10, (other) => other !== label).map((neighbor) => neighbor.label));
    const { accept, acceptLabel, rejectedLabels } = createQueryFilter(catalog, noFilters, exclusions);
    const { neighbors } = searchCandidates(
      { graph, exact, catalog },
      {
        query,
        accept,
        acceptLabel,
        ...(rejectedLabels === undefined ? {} : { rejectedLabels }),
        filters: noFilters,
        want: 10,
        ...(passQueryLabel ? { queryLabel: label } : {}),
      },
    );
    recalls.push(neighbors.filter((neighbor) => truth.has(neighbor.label)).length / 10);
  }
  return recalls;
}

describe("a graph search that got lost", () => {
  const without = recallOfEveryQuery(false);
  const withLabel = recallOfEveryQuery(true);
  const lost = (recalls: number[]) => recalls.filter((recall) => recall === 0).length;

  it("is how this graph fails: some searches at the configured width find none of the query's neighbours", () => {
    expect(lost(without)).toBeGreaterThanOrEqual(20);
  });

  it("is found out by the query's own article and searched again wider: three in four lost queries or more find their neighbours, and no query does worse", () => {
    expect(lost(withLabel)).toBeLessThanOrEqual(lost(without) / 4);
    expect(withLabel.every((recall, index) => recall >= without[index]!)).toBe(true);
  });

  it("leaves the query's own article out of the answer, as its filter asks", () => {
    const label = 1;
    const query = exact.getVector(label)!;
    const accept = createFilterPredicate(noFilters, { labels: new Set([label]), textHashes: new Set() });
    const { neighbors } = searchCandidates({ graph, exact, catalog }, { query, accept, filters: noFilters, want: 10, queryLabel: label });
    expect(neighbors).toHaveLength(10);
    expect(neighbors.some((neighbor) => neighbor.label === label)).toBe(false);
  });
});
