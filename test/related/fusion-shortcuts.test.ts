import { describe, expect, it } from "vitest";
import type { CatalogEntry } from "../../src/core/related/catalog-entry.ts";
import { PoolFusion } from "../../src/core/related/fuse-candidates.ts";
import { fusionContextFor } from "../../src/core/related/fusion-context.ts";
import { evidenceCanCount } from "../../src/core/related/lexical-evidence.ts";
import { defaultRankingOptions, lexicalWeightFor } from "../../src/core/related/ranking-options.ts";
import { signatureLength } from "../../src/core/related/shingle-signature.ts";
import { topicKeyVector } from "../../src/core/related/topic-similarity.ts";
import { mulberry32 } from "../../src/core/seeded-random.ts";

/**
 * Work a computed list skips (issue 14, tenth session) must not move a score by one bit: the
 * fusion reads each candidate's topics packed by the catalog (`CatalogEntry.topicKeys`) instead
 * of its topic names, and the ranking counts shared terms only where the same-event evidence
 * can count (`evidenceCanCount`), and it orders the pool by an insertion sort with the comparison
 * written in rather than a sort calling a comparator. Each is compared, with Object.is on every fused score, with the
 * fusion that does the full work, on random pools of dated and undated candidates whose topics
 * share words, cosines on both sides of the evidence threshold, and long and short queries.
 */
const names = [
  "Russian invasion of Ukraine",
  "Peace negotiations in the Russian invasion of Ukraine",
  "Ukraine",
  "Sport",
  "Football in Germany",
  "Elections in Germany",
  "of the and",
  "Climate change",
  "Economy",
];
const random = mulberry32(10);
const draw = (most: number) => Array.from({ length: Math.floor(random() * (most + 1)) }, () => names[Math.floor(random() * names.length)]!);
const dayMs = 86_400_000;

function randomPool(size: number): { entries: CatalogEntry[]; lexical: Float64Array; shared: Float64Array; dense: Float64Array } {
  const entries = Array.from({ length: size }, (_, label): CatalogEntry => {
    const topics = Object.freeze(draw(4));
    return {
      label,
      id: `a${label}`,
      title: `a${label}`,
      url: null,
      topics,
      topicKeys: topicKeyVector(topics),
      publishedAt: null,
      publishedMs: random() < 0.2 ? null : Date.UTC(2025, 2, 1) + Math.floor(random() * 60) * dayMs,
      textHash: `h${label}`,
      signature: new Uint32Array(signatureLength),
      words: 20,
      lang: null,
    };
  });
  const lexical = Float64Array.from({ length: size }, () => (random() < 0.3 ? 0 : random() * 0.6));
  const shared = Float64Array.from({ length: size }, () => Math.floor(random() * 12));
  const dense = Float64Array.from({ length: size }, () => random() * 2 - 1);
  return { entries, lexical, shared, dense };
}

function contextFor(words: number, topics: readonly string[], noise: ReadonlySet<string>) {
  return fusionContextFor(
    { publishedMs: Date.UTC(2025, 2, 20), topics, words, noiseTopics: noise, nowMs: Date.UTC(2025, 5, 1) },
    { ...defaultRankingOptions, halfLifeDays: 30, boostTopics: ["Economy"] },
    { dense: 1, lexical: lexicalWeightFor(words) },
    true,
  );
}

function fusedScores(
  entries: readonly CatalogEntry[],
  lexical: Float64Array,
  context: ReturnType<typeof contextFor>,
  shared: Float64Array,
  dense: Float64Array,
) {
  const fusion = new PoolFusion(entries, lexical, context, shared);
  fusion.fuse(dense);
  return Array.from(fusion.scores);
}

describe("the fusion's shortcuts", () => {
  it("scores topics from the catalog's packed keys exactly as from the topic names", () => {
    for (let round = 0; round < 200; round++) {
      const { entries, lexical, shared, dense } = randomPool(130);
      const context = contextFor(round % 2 === 0 ? 30 : 400, draw(3), new Set());
      const withoutKeys = entries.map(({ topicKeys: _, ...entry }) => entry);
      const expected = fusedScores(withoutKeys, lexical, context, shared, dense);
      const actual = fusedScores(entries, lexical, context, shared, dense);
      actual.forEach((score, position) => expect(Object.is(score, expected[position]), `round ${round}, position ${position}`).toBe(true));
    }
  });

  it("leaves noise topics out whether or not the catalog packed the topics", () => {
    const { entries, lexical, shared, dense } = randomPool(130);
    const context = contextFor(30, ["Ukraine", "Sport"], new Set(["Sport"]));
    const withoutKeys = entries.map(({ topicKeys: _, ...entry }) => entry);
    expect(fusedScores(entries, lexical, context, shared, dense)).toEqual(fusedScores(withoutKeys, lexical, context, shared, dense));
  });

  it("gives every score whether or not shared terms were counted where the evidence cannot count", () => {
    let skipped = 0;
    for (let round = 0; round < 200; round++) {
      const { entries, lexical, shared, dense } = randomPool(130);
      const context = contextFor(round % 2 === 0 ? 30 : 400, draw(3), new Set());
      const counted = shared.map((count, position) => (evidenceCanCount(context, lexical[position]!) ? count : 0));
      skipped += shared.filter((_, position) => !evidenceCanCount(context, lexical[position]!)).length;
      const expected = fusedScores(entries, lexical, context, shared, dense);
      const actual = fusedScores(entries, lexical, context, counted, dense);
      actual.forEach((score, position) => expect(Object.is(score, expected[position]), `round ${round}, position ${position}`).toBe(true));
    }
    expect(skipped, "the pools hold cosines below the threshold").toBeGreaterThan(5000);
  });

  it("orders the pool by score, then by id, as a sort with the comparator does, ties included", () => {
    for (let round = 0; round < 200; round++) {
      const { entries, lexical, shared, dense } = randomPool(1 + Math.floor(random() * 160));
      // Half the rounds give many candidates one score: same channel scores, no dates, no topics.
      const tied = round % 2 === 1;
      const pool = tied ? entries.map((entry) => ({ ...entry, publishedMs: null, topics: [], topicKeys: topicKeyVector([]) })) : entries;
      const context = contextFor(30, draw(3), new Set());
      const fusion = new PoolFusion(pool, tied ? lexical.map((score) => (score > 0.3 ? 0.5 : 0)) : lexical, context, shared);
      fusion.fuse(tied ? dense.map((score) => (score > 0 ? 1 : -1)) : dense);
      const expected = Array.from({ length: pool.length }, (_, i) => i).sort((a, b) => {
        const difference = fusion.scores[b]! - fusion.scores[a]!;
        return difference !== 0 ? difference : pool[a]!.id < pool[b]!.id ? -1 : 1;
      });
      expect(fusion.order(), `round ${round}`).toEqual(expected);
    }
  });
});
