import { describe, expect, it } from "vitest";
import { bootstrapInterval, pairedDifferenceInterval } from "../../src/core/eval/bootstrap-interval.ts";
import type { CatalogEntry } from "../../src/core/related/catalog-entry.ts";
import { diversify } from "../../src/core/related/diversify-results.ts";
import { foldDuplicates } from "../../src/core/related/fold-duplicates.ts";
import { denseAgreement, type FusionContext, fuseCandidates, type PoolCandidate, sumParts } from "../../src/core/related/fuse-candidates.ts";
import { buildLexicalProfile, splitWords } from "../../src/core/related/lexical-profile.ts";
import { selectQueryTerms } from "../../src/core/related/query-terms.ts";
import { lexicalWeightFor } from "../../src/core/related/ranking-options.ts";
import { estimateJaccard, shingleSignature } from "../../src/core/related/shingle-signature.ts";
import { topicSetSimilarity, topicWordKeys } from "../../src/core/related/topic-similarity.ts";

const story =
  "The Pentagon denied on Wednesday that Defense Secretary Pete Hegseth had ordered Cyber Command to stand down all planning " +
  "against Russia, calling earlier reports about a pause in offensive cyber operations false and saying its posture was unchanged.";

const entry = (id: string, overrides: Partial<CatalogEntry> = {}): CatalogEntry => ({
  label: Number(id.replace(/\D/g, "") || 0),
  id,
  title: id,
  url: null,
  topics: [],
  publishedAt: null,
  publishedMs: null,
  textHash: `hash-${id}`,
  signature: shingleSignature(`unique text of ${id} ${id} ${id} ${id} ${id}`),
  words: 10,
  lang: null,
  ...overrides,
});

const context = (overrides: Partial<FusionContext> = {}): FusionContext => ({
  query: { publishedMs: Date.UTC(2025, 2, 2), topics: ["cyber", "featured"] },
  weights: { dense: 1, lexical: 0.5 },
  standardize: true,
  proximity: { weight: 1, days: 14 },
  topics: { weight: 0.5, noise: new Set(["featured"]) },
  boost: { weight: 1, topics: new Set(["pentagon"]) },
  recency: { weight: 1, halfLifeDays: 30, nowMs: Date.UTC(2025, 5, 1) },
  agreement: null,
  ...overrides,
});

describe("shingle signatures", () => {
  it("estimate Jaccard: 1 for a copy, high for a light edit, low for another text on the same story", () => {
    const edited = story.replace("Wednesday", "Thursday"); // one word changed: 5 of 36 shingles differ
    const other = "Russia said the United States was still running cyber operations against it, days after reports of a pause by Pete Hegseth.";
    expect(estimateJaccard(shingleSignature(story), shingleSignature(story))).toBe(1);
    expect(estimateJaccard(shingleSignature(story), shingleSignature(edited))).toBeGreaterThanOrEqual(0.6);
    expect(estimateJaccard(shingleSignature(story), shingleSignature(other))).toBeLessThan(0.2);
  });

  it("never match two empty texts", () => {
    expect(estimateJaccard(shingleSignature(""), shingleSignature(""))).toBe(0);
  });
});

describe("folding duplicates", () => {
  it("folds copies (also chains of edits) into one group shown by its newest copy, at the best copy's place", () => {
    const signature = shingleSignature(story);
    const ranked = [
      { entry: entry("a1", { signature, publishedMs: 1 }) },
      { entry: entry("b2") },
      { entry: entry("a3", { signature, publishedMs: 3 }) },
      { entry: entry("a4", { textHash: "hash-a1", publishedMs: 2 }) },
      { entry: entry("q5", { textHash: "query" }) },
    ];
    const { groups, copiesOfQuery } = foldDuplicates(ranked, { textHash: "query", signature: null });
    expect(groups.map((group) => group.shown.entry.id)).toEqual(["a3", "b2"]);
    expect(groups[0]!.copies.map((copy) => copy.entry.id)).toEqual(["a1", "a4"]);
    expect(copiesOfQuery).toBe(1);
  });

  it("shows the most complete copy when they are equally new", () => {
    const signature = shingleSignature(story);
    const { groups } = foldDuplicates([{ entry: entry("short1", { signature, words: 40 }) }, { entry: entry("long2", { signature, words: 90 }) }], {
      textHash: null,
      signature: null,
    });
    expect(groups.map((group) => group.shown.entry.id)).toEqual(["long2"]);
  });
});

describe("topic set similarity", () => {
  it("is the plain set cosine for topics sharing no word: 1 for the same set, 0 for disjoint sets", () => {
    expect(topicSetSimilarity(["sport", "football"], ["football", "sport"])).toBeCloseTo(1, 12);
    expect(topicSetSimilarity(["sport", "football"], ["football"])).toBeCloseTo(1 / Math.sqrt(2), 12);
    expect(topicSetSimilarity(["sport"], ["politics and elections"])).toBe(0);
    expect(topicSetSimilarity([], ["sport"])).toBe(0);
  });

  it("counts topics that share words as partly the same (a hierarchy written out in names)", () => {
    const query = ["international relations", "peace negotiations in the russian invasion of ukraine", "russia–united states relations"];
    const sameWar = ["armed conflicts and attacks", "russian invasion of ukraine", "united states and the russian invasion of ukraine"];
    const other = ["politics and elections"];
    const partly = topicSetSimilarity(query, sameWar);
    expect(partly).toBeGreaterThan(0.4);
    expect(partly).toBeLessThan(topicSetSimilarity(query, ["international relations", "russia–united states relations"]));
    expect(topicSetSimilarity(query, other)).toBe(0);
    expect(topicSetSimilarity(query, sameWar)).toBeCloseTo(topicSetSimilarity(sameWar, query), 12);
  });

  it("keys words by their first five letters, without function words", () => {
    expect(topicWordKeys("Peace negotiations in the Russian invasion of Ukraine")).toEqual(["peace", "negot", "russi", "invas", "ukrai"]);
    expect(topicWordKeys("Russia")).toEqual(["russi"]);
    expect(topicWordKeys("the")).toEqual(["the"]);
  });
});

describe("fusion", () => {
  const pool: PoolCandidate[] = [
    { entry: entry("a1", { publishedMs: Date.UTC(2025, 2, 5), topics: ["cyber", "featured"] }), denseScore: 0.9, lexicalScore: 30, cosine: 0.9 },
    { entry: entry("b2", { publishedMs: Date.UTC(2024, 2, 5), topics: ["featured"] }), denseScore: 0.7, lexicalScore: 2, cosine: 0.7 },
    { entry: entry("c3", { topics: ["pentagon"] }), denseScore: 0.5, lexicalScore: 0, cosine: 0.5 },
  ];

  it("gives each candidate a score that is exactly the sum of its parts, best first", () => {
    const fused = fuseCandidates(pool, context());
    expect(fused.map((candidate) => candidate.entry.id)).toEqual(["a1", "c3", "b2"]);
    for (const candidate of fused) expect(candidate.score).toBe(sumParts(candidate.parts));
    expect(fused[0]!.parts.proximity).toBeCloseTo(Math.exp(-3 / 14), 10);
    expect(fused.find((candidate) => candidate.entry.id === "c3")!.parts.boost).toBe(1);
  });

  it("counts time proximity as a same-story signal: full on the query's day, less the further apart, none undated", () => {
    const day = 86_400_000;
    const at = (id: string, daysApart: number | null): PoolCandidate => ({
      entry: entry(id, { publishedMs: daysApart === null ? null : Date.UTC(2025, 2, 2) + daysApart * day, topics: [] }),
      denseScore: 0.5,
      lexicalScore: 1,
      cosine: 0.5,
    });
    const fused = fuseCandidates(
      [at("same", 0), at("before", -2), at("after", 2), at("week", 7), at("year", 365), at("undated", null)],
      context({ recency: null }),
    );
    const proximity = (id: string) => fused.find((candidate) => candidate.entry.id === id)!.parts.proximity;
    expect(proximity("same")).toBe(1);
    expect(proximity("before")).toBe(proximity("after"));
    expect(proximity("same")).toBeGreaterThan(proximity("after"));
    expect(proximity("after")).toBeGreaterThan(proximity("week"));
    expect(proximity("week")).toBeGreaterThan(proximity("year"));
    expect(proximity("year")).toBeLessThan(0.01);
    expect(proximity("undated")).toBe(0);
    // Equal in every other respect, the closer in time ranks first (a tie by id).
    expect(fused.map((candidate) => candidate.entry.id).slice(0, 4)).toEqual(["same", "after", "before", "week"]);
  });

  it("without dates, lets a whole-document cosine few pairs reach outweigh the encoder's 'same kind of event'", () => {
    // Undated query: "sibling" is the encoder's favourite (another shooting), "incident" shares
    // the query's names and places (cosine 0.45), "background" shares a little (cosine 0.12).
    const candidate = (id: string, denseScore: number, lexicalScore: number, publishedMs: number | null = null): PoolCandidate => ({
      entry: entry(id, { publishedMs }),
      denseScore,
      lexicalScore,
      cosine: denseScore,
    });
    const undatedPool = [
      candidate("sibling", 0.95, 0.15),
      candidate("incident", 0.6, 0.45),
      candidate("background", 0.5, 0.12),
      candidate("other", 0.55, 0.05),
    ];
    const plain = { query: { publishedMs: null, topics: [] }, proximity: null, topics: null, boost: null, recency: null, weights: { dense: 1, lexical: 0.25 } };
    const evidence = { weight: 2, from: 0.1, full: 0.4, minSharedTerms: 6, days: 14 };
    expect(fuseCandidates(undatedPool, context(plain))[0]!.entry.id).toBe("sibling");
    const fused = fuseCandidates(undatedPool, context({ ...plain, lexicalEvidence: evidence }));
    expect(fused[0]!.entry.id).toBe("incident");
    const part = (id: string, from: typeof fused) => from.find((item) => item.entry.id === id)!.parts.lexical;
    const without = fuseCandidates(undatedPool, context(plain));
    // Capped at the weight from `full` up, linear from `from`, nothing below it.
    expect(part("incident", fused) - part("incident", without)).toBeCloseTo(2, 10);
    expect(part("sibling", fused) - part("sibling", without)).toBeCloseTo(2 * (0.05 / 0.3), 10);
    expect(part("background", fused) - part("background", without)).toBeCloseTo(2 * (0.02 / 0.3), 10);
    expect(part("other", fused)).toBe(part("other", without));
    for (const item of fused) expect(item.score).toBe(sumParts(item.parts));
    // Where both articles are dated, the part is discounted by their date proximity: the same
    // day keeps all of it, two weeks apart e^-1 of it, a year apart next to nothing.
    const day = Date.UTC(2025, 2, 2);
    const dated = { ...plain, query: { publishedMs: day, topics: [] } };
    const datedPool = undatedPool.map((item, index) => ({ ...item, entry: { ...item.entry, publishedMs: day + [0, 14, 365, 0][index]! * 86_400_000 } }));
    const datedFused = fuseCandidates(datedPool, context({ ...dated, lexicalEvidence: evidence }));
    const datedWithout = fuseCandidates(datedPool, context(dated));
    expect(part("sibling", datedFused) - part("sibling", datedWithout)).toBeCloseTo(2 * (0.05 / 0.3), 10);
    expect(part("incident", datedFused) - part("incident", datedWithout)).toBeCloseTo(2 * Math.exp(-1), 10);
    expect(part("background", datedFused) - part("background", datedWithout)).toBeCloseTo(2 * (0.02 / 0.3) * Math.exp(-365 / 14), 10);
    // A single channel keeps its raw score: no evidence part.
    const single = fuseCandidates(undatedPool, context({ ...plain, standardize: false, lexicalEvidence: evidence }));
    expect(single.find((item) => item.entry.id === "incident")!.parts.lexical).toBeCloseTo(0.25 * 0.45, 12);
  });

  it("counts a cosine's level as evidence only where the pair shares enough terms: one shared word is chance", () => {
    // A five-word draft whose only usable word is "the" reaches a high cosine with whatever holds
    // "the"; the report sharing six of the query's terms is evidence, the one sharing one is not.
    const plain = { query: { publishedMs: null, topics: [] }, proximity: null, topics: null, boost: null, recency: null, weights: { dense: 1, lexical: 0.25 } };
    const evidence = { weight: 2, from: 0.1, full: 0.4, minSharedTerms: 6, days: 14 };
    const pool: PoolCandidate[] = [
      { entry: entry("chance"), denseScore: 0.5, lexicalScore: 0.9, cosine: 0.5, sharedTerms: 1 },
      { entry: entry("report"), denseScore: 0.5, lexicalScore: 0.45, cosine: 0.5, sharedTerms: 6 },
      { entry: entry("other"), denseScore: 0.6, lexicalScore: 0.05, cosine: 0.6, sharedTerms: 0 },
    ];
    const fused = fuseCandidates(pool, context({ ...plain, lexicalEvidence: evidence }));
    const without = fuseCandidates(pool, context(plain));
    const added = (id: string) => fused.find((item) => item.entry.id === id)!.parts.lexical - without.find((item) => item.entry.id === id)!.parts.lexical;
    expect(added("chance")).toBe(0);
    expect(added("report")).toBeCloseTo(2, 10);
    expect(fused[0]!.entry.id).toBe("report");
  });

  it("gives noise topics no weight: sharing only a noise topic adds nothing", () => {
    const fused = fuseCandidates(pool, context());
    expect(fused.find((candidate) => candidate.entry.id === "b2")!.parts.topics).toBe(0);
    expect(fused.find((candidate) => candidate.entry.id === "a1")!.parts.topics).toBeGreaterThan(0);
    const withoutNoise = fuseCandidates(pool, context({ topics: { weight: 0.5, noise: new Set() } }));
    expect(withoutNoise.find((candidate) => candidate.entry.id === "b2")!.parts.topics).toBeGreaterThan(0);
  });

  it("decays older candidates by their age and leaves undated ones be", () => {
    const fused = fuseCandidates(pool, context());
    const older = fused.find((candidate) => candidate.entry.id === "b2")!;
    const newer = fused.find((candidate) => candidate.entry.id === "a1")!;
    expect(older.parts.recency).toBeLessThan(newer.parts.recency);
    expect(newer.parts.recency).toBeLessThan(0);
    expect(fused.find((candidate) => candidate.entry.id === "c3")!.parts.recency).toBe(0);
  });

  it("keeps the dense weight where the channels agree and lowers it where the embedding runs counter to the words", () => {
    const agreement = { none: -0.5, full: 0 };
    const agreeing = fuseCandidates(pool, context({ agreement }));
    const fixed = fuseCandidates(pool, context());
    for (const candidate of agreeing) expect(candidate.parts.dense).toBeCloseTo(fixed.find((other) => other.entry.id === candidate.entry.id)!.parts.dense, 12);
    // Same candidates, the dense order reversed: r = -1, so the dense part is gone and the words decide.
    const reversed = pool.map((candidate, index) => ({ ...candidate, denseScore: [0.5, 0.7, 0.9][index]! }));
    const disagreeing = fuseCandidates(reversed, context({ agreement, proximity: null, boost: null, recency: null, topics: null }));
    expect(disagreeing.map((candidate) => candidate.entry.id)).toEqual(["a1", "b2", "c3"]);
    for (const candidate of disagreeing) {
      expect(candidate.parts.dense).toBe(0);
      expect(candidate.score).toBe(sumParts(candidate.parts));
    }
    const withoutAgreement = fuseCandidates(reversed, context({ proximity: null, boost: null, recency: null, topics: null }));
    expect(withoutAgreement[0]!.entry.id).toBe("c3");
  });

  it("scales the dense weight linearly between no agreement and full agreement", () => {
    const agreement = { none: -0.5, full: 0 };
    expect(denseAgreement([1, -1], [1, -1], agreement)).toBe(1);
    expect(denseAgreement([1, -1], [0, 0], agreement)).toBe(1); // a channel that does not vary says nothing
    expect(denseAgreement([1, -1, 1, -1], [1, -1, -1, 1], agreement)).toBe(1); // r = 0
    expect(denseAgreement([1], [-0.3], agreement)).toBeCloseTo(0.4, 10); // r = -0.3: 0.2 above none over a span of 0.5
    expect(denseAgreement([1, -1], [-1, 1], agreement)).toBe(0);
    expect(denseAgreement([], [], agreement)).toBe(1);
  });

  it("weights the lexical channel up as the query outgrows the encoder's window", () => {
    expect(lexicalWeightFor(40)).toBe(0.25);
    expect(lexicalWeightFor(900)).toBeGreaterThan(0.65);
    expect(lexicalWeightFor(300)).toBeGreaterThan(lexicalWeightFor(120));
  });
});

describe("MMR", () => {
  it("changes the order toward variety, and keeps it at diversity 0", () => {
    const items = ["a", "a2", "b"]; // a and a2 are near-identical
    const relevance = (item: string) => ({ a: 1, a2: 0.95, b: 0.8 })[item]!;
    const similarity = (x: string, y: string) => (x[0] === y[0] ? 0.99 : 0.1);
    expect(diversify(items, 3, 0, relevance, similarity)).toEqual(["a", "a2", "b"]);
    expect(diversify(items, 3, 0.5, relevance, similarity)).toEqual(["a", "b", "a2"]);
  });
});

describe("query terms", () => {
  it("choose names and rare words, never function words, too-rare or too-common terms", () => {
    const title = "Pentagon denies Hegseth paused cyber operations";
    const body = "The Pentagon said the report was false.";
    const occurrences = [
      ...["pentagon", "deni", "hegseth", "paus", "cyber", "oper"].map((stem, offset) => ({ stem, column: "title" as const, offset })),
      ...["the", "pentagon", "said", "the", "report", "wa", "fals"].map((stem, offset) => ({ stem, column: "body" as const, offset })),
    ];
    const profile = buildLexicalProfile(title, body, occurrences);
    const df: Record<string, number> = {
      pentagon: 20,
      deni: 50,
      hegseth: 5,
      paus: 30,
      cyber: 40,
      oper: 400,
      the: 990,
      said: 800,
      report: 1,
      wa: 900,
      fals: 60,
    };
    const terms = selectQueryTerms(profile, { articles: 1_000, documentFrequency: (stem) => df[stem] ?? 0 });
    const stems = terms.map((term) => term.stem);
    expect(stems[0]).toBe("hegseth");
    expect(stems).not.toContain("the");
    expect(stems).not.toContain("report"); // in no other article
    expect(stems).not.toContain("oper"); // in 40% of articles
    expect(terms.find((term) => term.stem === "deni")!.surface).toBe("denies");
  });

  it("align surface words with the engine's tokens and spot names inside sentences", () => {
    const words = splitWords("Hegseth said. The Pentagon denied it");
    expect(words.map((word) => word.capitalisedMidSentence)).toEqual([false, false, false, true, false, false]);
  });
});

describe("bootstrap intervals", () => {
  it("bracket the mean and narrow with more queries", () => {
    const few = bootstrapInterval([1, 0, 1, 1, 0, 1])!;
    const many = bootstrapInterval(Array.from({ length: 600 }, (_, i) => (i % 3 === 0 ? 0 : 1)))!;
    expect(few.low).toBeLessThanOrEqual(few.mean);
    expect(few.high).toBeGreaterThanOrEqual(few.mean);
    expect(many.high - many.low).toBeLessThan(few.high - few.low);
    expect(bootstrapInterval([null, null])).toBeNull();
    expect(pairedDifferenceInterval([1, 1, 1], [0, 0, 0])!.mean).toBe(1);
  });
});
