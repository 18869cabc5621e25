import { describe, expect, it } from "vitest";
import { topicKeyVector, topicSetSimilarity, topicSetSimilarityTo, topicSetSimilarityToKeys, topicSetVector } from "../../src/core/related/topic-similarity.ts";
import { mulberry32 } from "../../src/core/seeded-random.ts";

/**
 * The fusion scores each candidate's topics against the query's without making the candidate's
 * topic vector (issue 14: those vectors were most of a computed list's garbage at 100k articles).
 * Lists must not move by one bit, so it is compared with the vector-based similarity with
 * Object.is on random sets drawn from a taxonomy whose names share words, with repeated topics,
 * topics of function words only, noise topics and empty sets.
 */
const names = [
  "Russian invasion of Ukraine",
  "Peace negotiations in the Russian invasion of Ukraine",
  "Ukraine",
  "Russia",
  "Sport",
  "Football",
  "Football in Germany",
  "Politics and elections",
  "Elections in Germany",
  "of the and",
  "Climate change",
  "Climate",
  "Economy",
  "Wirtschaft und Politik",
  "La politique en France",
  "Données",
];
const random = mulberry32(7);
const draw = (most: number) => Array.from({ length: Math.floor(random() * (most + 1)) }, () => names[Math.floor(random() * names.length)]!);

describe("topicSetSimilarityTo", () => {
  it("gives the number the candidate's topic vector gives, noise topics left out", () => {
    const noiseSets = [new Set<string>(), new Set(["Sport", "Ukraine"]), new Set(["Economy"])];
    let nonZero = 0;
    for (let trial = 0; trial < 3000; trial++) {
      const noise = noiseSets[trial % noiseSets.length]!;
      const query = topicSetVector(draw(4).filter((topic) => !noise.has(topic)));
      const candidate = Object.freeze(draw(6));
      const expected = topicSetSimilarity(query, topicSetVector(candidate.filter((topic) => !noise.has(topic))));
      const actual = topicSetSimilarityTo(query, candidate, noise);
      expect(Object.is(actual, expected), `${JSON.stringify(candidate)} without ${[...noise]}: ${actual} against ${expected}`).toBe(true);
      if (expected > 0 && expected < 1) nonZero++;
    }
    // The draws must exercise partial overlaps, not only 0 and 1.
    expect(nonZero).toBeGreaterThan(500);
  });

  it("scores a candidate of many topics sharing words (more keys than its scratch space starts with)", () => {
    const many = Array.from({ length: 40 }, (_, i) => `Topic number ${i} of Ukraine ${i * 7} area${i}`);
    const query = topicSetVector(["Ukraine", "Topic number 3"]);
    expect(Object.is(topicSetSimilarityTo(query, many, new Set()), topicSetSimilarity(query, topicSetVector(many)))).toBe(true);
    expect(topicSetSimilarityTo(query, many, new Set())).toBeGreaterThan(0);
  });
});

describe("topicSetSimilarityToKeys", () => {
  // The catalog packs each article's topics once (CatalogEntry.topicKeys) and the fusion scores
  // those, so they must give the number the topic names give, to the bit.
  it("gives the number the candidate's topic vector gives", () => {
    let nonZero = 0;
    for (let trial = 0; trial < 3000; trial++) {
      const query = topicSetVector(draw(4));
      const candidate = Object.freeze(draw(6));
      const expected = topicSetSimilarity(query, topicSetVector(candidate));
      const actual = topicSetSimilarityToKeys(query, topicKeyVector(candidate));
      expect(Object.is(actual, expected), `${JSON.stringify(candidate)}: ${actual} against ${expected}`).toBe(true);
      expect(Object.is(actual, topicSetSimilarityTo(query, candidate, new Set()))).toBe(true);
      if (expected > 0 && expected < 1) nonZero++;
    }
    expect(nonZero).toBeGreaterThan(500);
  });

  it("scores a candidate of many topics and an empty one", () => {
    const many = Array.from({ length: 40 }, (_, i) => `Topic number ${i} of Ukraine ${i * 7} area${i}`);
    const query = topicSetVector(["Ukraine", "Topic number 3"]);
    expect(Object.is(topicSetSimilarityToKeys(query, topicKeyVector(many)), topicSetSimilarity(query, topicSetVector(many)))).toBe(true);
    expect(topicSetSimilarityToKeys(query, topicKeyVector([]))).toBe(0);
    expect(topicSetSimilarityToKeys(topicSetVector([]), topicKeyVector(many))).toBe(0);
  });
});
