import { describe, expect, it } from "vitest";
import type { CatalogEntry } from "../../src/core/related/catalog-entry.ts";
import { foldAndFloor, type RankedCandidates, rankedArray } from "../../src/core/related/fold-and-floor.ts";
import { type FusionContext, PoolFusion, sumParts } from "../../src/core/related/fuse-candidates.ts";
import { shingleSignature } from "../../src/core/related/shingle-signature.ts";

/**
 * A computed list folds only the top of its ranking (k plus a window), so the rest of the pool
 * is never made into objects (issue 14: a list's garbage set how often its young-generation
 * collections came, and so its p99). These pin that the on-demand ranking is the full one, and
 * that folding asks for no more of it than it reads.
 */
const entry = (label: number, overrides: Partial<CatalogEntry> = {}): CatalogEntry => ({
  label,
  id: `a${String(label).padStart(3, "0")}`,
  title: `a${label}`,
  url: null,
  topics: label % 3 === 0 ? ["cyber"] : [],
  publishedAt: null,
  publishedMs: Date.UTC(2025, 2, 1 + (label % 20)),
  textHash: `hash-${label}`,
  signature: shingleSignature(`unique text number ${label} ${label} ${label} ${label}`),
  words: 10 + label,
  lang: null,
  ...overrides,
});

const context: FusionContext = {
  query: { publishedMs: Date.UTC(2025, 2, 2), topics: ["cyber"] },
  weights: { dense: 1, lexical: 0.5 },
  standardize: true,
  proximity: { weight: 1, days: 14 },
  topics: { weight: 0.5, noise: new Set() },
  boost: null,
  recency: null,
  agreement: null,
};

function fusedPool(size: number, entries = Array.from({ length: size }, (_, i) => entry(i + 1))) {
  // Scores with ties (every tenth repeats its neighbour), so the id breaks some of them.
  const dense = Float64Array.from(entries, (_, i) => Math.sin(i - (i % 10 === 0 ? 1 : 0)));
  const lexical = Float64Array.from(entries, (_, i) => Math.cos(i * 0.7));
  const fusion = new PoolFusion(entries, lexical, context);
  fusion.fuse(dense);
  const cosines = Float64Array.from(entries, (_, i) => 0.5 + i / 1000);
  return { fusion, cosines };
}

/** A ranked source that counts how far down the list it was asked. */
function counting<T>(ranked: RankedCandidates<T>): { source: RankedCandidates<T>; deepest: () => number } {
  let deepest = 0;
  return {
    source: {
      length: ranked.length,
      first: (count) => {
        deepest = Math.max(deepest, Math.min(count, ranked.length));
        return ranked.first(count);
      },
    },
    deepest: () => deepest,
  };
}

describe("ranking on demand", () => {
  it("gives the same candidates, in the same order, as the full ranking, however far it is asked", () => {
    const { fusion, cosines } = fusedPool(130);
    const full = fusion.ranked(cosines);
    const onDemand = fusion.rankedOnDemand(cosines);
    expect(onDemand.length).toBe(130);
    expect(onDemand.first(3)).toEqual(full.slice(0, 3));
    expect(onDemand.first(60)).toEqual(full.slice(0, 60));
    expect(onDemand.first(500)).toEqual(full);
    // An earlier answer is not changed by a later, deeper one.
    const head = onDemand.first(5);
    onDemand.first(130);
    expect(head).toEqual(full.slice(0, 5));
  });

  it("lets folding read only k plus its window when copies leave k groups there", () => {
    const { fusion, cosines } = fusedPool(130);
    const { source, deepest } = counting(fusion.rankedOnDemand(cosines));
    const options = { k: 10, windowExtra: 50, diversity: 0, foldDuplicates: true, minCosine: null };
    const folded = foldAndFloor(source, options, { textHash: "query", signature: null });
    expect(folded.shown).toHaveLength(60);
    expect(deepest()).toBe(60);
    // The same list as folding the whole ranking as an array.
    const fromArray = foldAndFloor(rankedArray(fusion.ranked(cosines)), options, { textHash: "query", signature: null });
    expect(folded.shown.map((group) => group.shown.entry.id)).toEqual(fromArray.shown.map((group) => group.shown.entry.id));
  });

  it("reads the whole ranking when copies fold the window below k", () => {
    const copyText = "one wire story that every outlet ran word for word on the same morning about the same event";
    // All but 5 are copies of one text: the window of 60 holds at most 6 groups, fewer than k.
    const entries = Array.from({ length: 130 }, (_, i) => (i < 125 ? entry(i + 1, { textHash: "wire", signature: shingleSignature(copyText) }) : entry(i + 1)));
    const { fusion, cosines } = fusedPool(130, entries);
    const { source, deepest } = counting(fusion.rankedOnDemand(cosines));
    const options = { k: 10, windowExtra: 50, diversity: 0, foldDuplicates: true, minCosine: null };
    const folded = foldAndFloor(source, options, { textHash: "query", signature: null });
    expect(deepest()).toBe(130);
    const fromArray = foldAndFloor(rankedArray(fusion.ranked(cosines)), options, { textHash: "query", signature: null });
    expect(folded.groups.map((group) => [group.shown.entry.id, group.copies.length])).toEqual(
      fromArray.groups.map((group) => [group.shown.entry.id, group.copies.length]),
    );
    expect(folded.groups).toHaveLength(6);
  });
  it("reads a candidate's parts only when asked, as its round of fusion left them", () => {
    const { fusion, cosines } = fusedPool(40);
    const [best] = fusion.rankedOnDemand(cosines).first(1);
    // The parts of the round the candidate was made in: the score is exactly their sum.
    expect(best!.score).toBe(sumParts(best!.parts));
    expect(best!.parts.proximity).toBeGreaterThan(0);
    expect(Object.keys(best!.parts).sort()).toEqual(["boost", "dense", "lexical", "neighbours", "proximity", "recency", "topics"]);
    // A later round would give other parts than the ones its score was the sum of.
    fusion.fuse(Float64Array.from({ length: 40 }, (_, i) => Math.cos(i)));
    expect(() => best!.parts).toThrow(/fused again/);
  });
});
