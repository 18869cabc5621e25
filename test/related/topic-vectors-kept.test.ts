import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";
import { describe, expect, it } from "vitest";
import { createRandom } from "../../bench/support/synthetic-corpus.ts";
import type { CatalogEntry } from "../../src/core/related/catalog-entry.ts";
import { type FusionContext, PoolFusion } from "../../src/core/related/fuse-candidates.ts";
import { topicSetSimilarity, topicSetSimilarityTo, topicSetVector, topicWordKeys } from "../../src/core/related/topic-similarity.ts";

/**
 * The topic signal scores each candidate's topics against the query's. It used to keep a vector
 * for every article it ever scored (a map and two typed arrays in a WeakMap by the entry's
 * topic array): at 100k articles that was megabytes promoted to the old generation every second
 * under load, and full collections of hundreds of milliseconds stalled the requests (issue 14,
 * docs/performance.md). These pin that nothing is kept per article now, and that the scores are
 * the ones the kept vectors gave, to the bit.
 */

/** The vector as it was built before: a Map in first-seen key order, summed and normed in that order. */
function referenceSimilarity(query: readonly string[], candidate: readonly string[]): number {
  const build = (topics: readonly string[]) => {
    const weights = new Map<string, number>();
    for (const topic of new Set(topics)) {
      const keys = topicWordKeys(topic);
      const share = 1 / Math.sqrt(keys.length);
      for (const key of keys) weights.set(key, (weights.get(key) ?? 0) + share);
    }
    let squares = 0;
    for (const weight of weights.values()) squares += weight * weight;
    return { weights, norm: Math.sqrt(squares) };
  };
  const left = build(query);
  const right = build(candidate);
  if (left.norm === 0 || right.norm === 0) return 0;
  let dot = 0;
  for (const [key, weight] of left.weights) dot += weight * (right.weights.get(key) ?? 0);
  return dot === 0 ? 0 : Math.min(1, dot / (left.norm * right.norm));
}

const names = [
  "Russian invasion of Ukraine",
  "Peace negotiations in the Russian invasion of Ukraine",
  "Armed conflicts and attacks",
  "Gaza war",
  "Israeli invasion of the Gaza Strip",
  "Politics and elections",
  "of the", // function words only: the whole name is its one key
  "Business and economy",
  "Economy of Ukraine",
  "Sport",
  "Football",
  "Law and crime",
];

function randomTopics(random: () => number, count: number): string[] {
  return Array.from({ length: count }, () => names[Math.floor(random() * names.length)]!);
}

describe("topic similarity without a vector kept per article", () => {
  it("scores candidates exactly as the vectors built for them did, noise topics and repeats left out", () => {
    const random = createRandom(3);
    const noise = new Set(["Armed conflicts and attacks", "Sport"]);
    let nonZero = 0;
    for (let round = 0; round < 2_000; round++) {
      const query = randomTopics(random, 1 + Math.floor(random() * 4)).filter((topic) => !noise.has(topic));
      const candidate = randomTopics(random, Math.floor(random() * 6));
      const expected = referenceSimilarity(
        query,
        candidate.filter((topic) => !noise.has(topic)),
      );
      expect(topicSetSimilarityTo(topicSetVector(query), candidate, noise)).toBe(expected);
      expect(
        topicSetSimilarity(
          query,
          candidate.filter((topic) => !noise.has(topic)),
        ),
      ).toBe(expected);
      if (expected > 0) nonZero++;
    }
    expect(nonZero).toBeGreaterThan(500);
    // More word keys than the scratch space starts with.
    const many = Array.from({ length: 90 }, (_, i) => `distinctword${i} topic${i}`);
    expect(topicSetSimilarityTo(topicSetVector(many.slice(0, 50)), many, new Set())).toBe(referenceSimilarity(many.slice(0, 50), many));
  });

  it("keeps nothing per article scored: the heap after scoring 20,000 articles is as before", () => {
    setFlagsFromString("--expose-gc");
    const gc = runInNewContext("gc") as () => void;
    const random = createRandom(9);
    // As the catalog holds them: every entry its own frozen topic array, alive throughout.
    const entries: CatalogEntry[] = Array.from({ length: 20_000 }, (_, label) => ({
      label,
      id: `a${label}`,
      title: `a${label}`,
      url: null,
      topics: Object.freeze(randomTopics(random, 1 + (label % 3))),
      publishedAt: null,
      publishedMs: null,
      textHash: `h${label}`,
      signature: new Uint32Array(0),
      words: 10,
      lang: null,
    }));
    const context: FusionContext = {
      query: { publishedMs: null, topics: Object.freeze(["Gaza war", "Israeli invasion of the Gaza Strip"]) },
      weights: { dense: 1, lexical: 0.5 },
      standardize: true,
      proximity: null,
      topics: { weight: 0.5, noise: new Set() },
      boost: null,
      recency: null,
      agreement: null,
    };
    const score = (pool: CatalogEntry[]) => new PoolFusion(pool, new Float64Array(pool.length), context);
    score(entries.slice(0, 100)); // names split and code compiled before the baseline
    gc();
    gc();
    const before = process.memoryUsage().heapUsed;
    let scored = 0;
    for (let start = 0; start < entries.length; start += 500) scored += score(entries.slice(start, start + 500)).size;
    gc();
    gc();
    const grownBytes = process.memoryUsage().heapUsed - before;
    expect(scored).toBe(entries.length);
    // A vector kept per entry was several hundred bytes each: megabytes for 20,000.
    expect(grownBytes).toBeLessThan(1_000_000);
  });
});
