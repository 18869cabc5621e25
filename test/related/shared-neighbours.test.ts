import { describe, expect, it } from "vitest";
import type { CatalogEntry } from "../../src/core/related/catalog-entry.ts";
import { type FusionContext, PoolFusion, sumParts } from "../../src/core/related/fuse-candidates.ts";
import { pairScore, poolScale, sharedNeighbourParts } from "../../src/core/related/shared-neighbours.ts";

/** Symmetric pair scores of `size` members from `[a, b, score]` triples (a >= 1; b may be the query, 0). */
function pairsOf(size: number, triples: [number, number, number][]): Float64Array {
  const pairs = new Float64Array(size * size);
  for (const [a, b, score] of triples) {
    pairs[a * size + b] = score;
    pairs[b * size + a] = score;
  }
  return pairs;
}

const dayMs = 86_400_000;
const context: FusionContext = {
  query: { publishedMs: null, topics: [] },
  weights: { dense: 1, lexical: 1.25 },
  standardize: true,
  proximity: { weight: 1, days: 14 },
  topics: null,
  boost: null,
  recency: null,
  agreement: null,
  lexicalEvidence: { weight: 2, from: 0.1, full: 0.4, minSharedTerms: 6, days: 14 },
};

describe("shared-neighbour parts", () => {
  // The query (member 0) with two reports of its event (1, 2), and a report of another event of
  // the same kind (3) that the query's list ranks third, whose own event (4, 5) it is nearest to.
  const pairs = pairsOf(6, [
    [1, 0, 6],
    [1, 2, 7],
    [1, 3, 2],
    [1, 4, 1],
    [1, 5, 0.5],
    [2, 0, 5],
    [2, 3, 2.5],
    [2, 4, 1],
    [2, 5, 1],
    [3, 0, 4.5],
    [3, 4, 8],
    [3, 5, 7],
    [4, 0, 3.5],
    [4, 5, 6],
    [5, 0, 1],
  ]);
  const options = { neighbours: 3, minScore: 3, weight: 4 };

  it("gives a candidate whose neighbourhood is the query's more than one from another event's", () => {
    // The query's neighbourhood: itself, 1, 2 and 3 (its first three, each scoring at least 3).
    // 1 keeps 2 and the query: all three shared, of 4 and 3 members. 3 keeps 4, 5 and the query:
    // itself and the query shared, of 4 and 4. 5 keeps 3 and 4 (the query scores 1 for it): 3 shared.
    const parts = sharedNeighbourParts(pairs, 6, [6, 5, 4.5, 3.5, 1], options);
    const expected = [(4 * 3) / Math.sqrt(12), (4 * 3) / Math.sqrt(12), (4 * 2) / 4, (4 * 2) / 4, (4 * 1) / Math.sqrt(12)];
    expected.forEach((part, index) => expect(parts[index], `member ${index + 1}`).toBeCloseTo(part, 12));
    // Added to the fused scores, the event's second report moves ahead of the other event's.
    expect(5 + parts[1]!).toBeGreaterThan(4.5 + parts[2]!);
  });

  it("gives the whole weight to a candidate and a query that are each other's only neighbour, and nothing where none scores enough", () => {
    expect(Array.from(sharedNeighbourParts(pairsOf(2, [[1, 0, 4]]), 2, [4], { neighbours: 10, minScore: 3, weight: 4 }))).toEqual([4]);
    expect(Array.from(sharedNeighbourParts(pairsOf(2, [[1, 0, 2]]), 2, [2], { neighbours: 10, minScore: 3, weight: 4 }))).toEqual([0]);
    // The candidate counts the query as a neighbour, the query keeps none: one shared of 1 and 2.
    expect(sharedNeighbourParts(pairsOf(2, [[1, 0, 4]]), 2, [2], { neighbours: 10, minScore: 3, weight: 4 })[0]).toBeCloseTo(4 / Math.sqrt(2), 12);
  });

  it("is nothing at weight 0 or without candidates, and keeps the nearest neighbours by member on ties", () => {
    expect(Array.from(sharedNeighbourParts(pairs, 6, [6, 5, 4.5, 3.5, 1], { ...options, weight: 0 }))).toEqual([0, 0, 0, 0, 0]);
    expect(sharedNeighbourParts(new Float64Array(1), 1, [], options)).toHaveLength(0);
    // Member 2 ties 1 and 3 at 5 and keeps one neighbour: 1, the earlier, which is the query's.
    const tied = pairsOf(4, [
      [2, 1, 5],
      [2, 3, 5],
    ]);
    const parts = sharedNeighbourParts(tied, 4, [4, 1, 1], { neighbours: 1, minScore: 3, weight: 1 });
    // The query keeps its first candidate: {0, 1}; member 2 keeps {2, 1}: one shared of 2 and 2.
    expect(parts[1]).toBeCloseTo(1 / 2, 12);
  });
});

describe("pair scores", () => {
  const scale = { denseMean: 0.2, denseDeviation: 0.1, denseWeight: 0.5, lexicalMean: 0.05, lexicalDeviation: 0.05, lexicalWeight: 1.25 };

  it("score a pair as the query's fusion scores a candidate: z-scores on the pool's scale, the cosine's evidence, date proximity", () => {
    const week = { dense: 0.4, lexical: 0.25, sharedTerms: 8, publishedMs: 0, otherPublishedMs: 7 * dayMs };
    // dense 0.5 x 2 + lexical 1.25 x 4, evidence 2 x exp(-1/2) x 0.5, proximity exp(-1/2)
    expect(pairScore(context, scale, week)).toBeCloseTo(1 + 5 + Math.exp(-0.5) + Math.exp(-0.5), 12);
    expect(pairScore(context, scale, { ...week, otherPublishedMs: null })).toBeCloseTo(1 + 5 + 1, 12);
    // Too few terms shared for the cosine to count as evidence.
    expect(pairScore(context, scale, { ...week, sharedTerms: 5, otherPublishedMs: null })).toBeCloseTo(6, 12);
  });

  it("take the pool's means and deviations, a channel that does not vary counting nothing", () => {
    const flat = poolScale([0.3, 0.3, 0.3], [0.1, 0.2, 0.3], { dense: 1, lexical: 2 });
    expect(flat.lexicalMean).toBeCloseTo(0.2, 12);
    expect(flat.lexicalDeviation).toBeCloseTo(Math.sqrt(0.02 / 3), 12);
    const pair = { dense: 0.9, lexical: 0.3, sharedTerms: 0, publishedMs: null, otherPublishedMs: null };
    expect(pairScore({ ...context, lexicalEvidence: null }, flat, pair)).toBeCloseTo((2 * 0.1) / Math.sqrt(0.02 / 3), 12);
  });
});

describe("a fused pool's shared-neighbour part", () => {
  const entry = (label: number): CatalogEntry => ({
    label,
    id: `a${label}`,
    title: `a${label}`,
    url: null,
    topics: [],
    publishedAt: null,
    publishedMs: null,
    textHash: `hash-${label}`,
    signature: new Uint32Array(0),
    words: 10,
    lang: null,
  });

  it("adds to the score, the parts still adding up to it, and goes when the pool is fused again", () => {
    const entries = [1, 2, 3].map(entry);
    const fusion = new PoolFusion(entries, Float64Array.from([0.1, 0.3, 0.2]), { ...context, lexicalEvidence: null });
    const dense = Float64Array.from([0.5, 0.1, 0.3]);
    fusion.fuse(dense);
    const before = Array.from(fusion.scores);
    fusion.addNeighbourParts([2, 0], [1.5, 0.25]);
    expect(fusion.scores[2]).toBeCloseTo(before[2]! + 1.5, 12);
    expect(fusion.scores[1]).toBe(before[1]);
    const ranked = fusion.ranked([0, 0, 0]);
    for (const candidate of ranked) expect(candidate.score).toBe(sumParts(candidate.parts));
    expect(ranked.find((candidate) => candidate.entry.label === 3)!.parts.neighbours).toBe(1.5);
    fusion.fuse(dense);
    expect(Array.from(fusion.scores)).toEqual(before);
    expect(fusion.ranked([0, 0, 0]).every((candidate) => candidate.parts.neighbours === 0)).toBe(true);
  });
});
