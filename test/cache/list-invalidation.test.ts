import { describe, expect, it } from "vitest";
import { couldChangeList, type ListDependencies } from "../../src/core/cache/list-invalidation.ts";
import type { CatalogEntry } from "../../src/core/related/catalog-entry.ts";
import { defaultRankingOptions, type RankingOptions } from "../../src/core/related/ranking-options.ts";
import { createFilterPredicate, noFilters } from "../../src/core/related/related-filters.ts";
import { type CurrentState, RelatedCache } from "../../src/engine/related-cache.ts";
import { relatedListKey } from "../../src/engine/related-list-cache.ts";

const entry = (label: number, topics: string[] = ["politics"]): CatalogEntry => ({
  label,
  id: `a${label}`,
  title: `Article ${label}`,
  url: null,
  topics,
  publishedAt: null,
  publishedMs: null,
  textHash: `t${label}`,
  signature: new Uint32Array(64).fill(label),
  words: 10,
  lang: null,
});

/** The list of article 1, filtered to politics, ranked from candidates 2, 3, 4 scoring at least 0.6. */
const politicsList: ListDependencies = {
  queryLabel: 1,
  candidateLabels: new Set([2, 3, 4]),
  floorScore: 0.6,
  accept: createFilterPredicate({ ...noFilters, topics: ["politics"] }, { labels: new Set([1]), textHashes: new Set(["t1"]) }),
};

describe("couldChangeList: which changes can alter a cached related list", () => {
  it.each([
    ["the query article itself changed", 1, entry(1), 0.1, true],
    ["the query article was deleted", 1, undefined, 0, true],
    ["a candidate was deleted", 3, undefined, 0, true],
    ["a candidate changed, even with a low score now", 3, entry(3), 0.1, true],
    ["a candidate left the filter", 2, entry(2, ["sport"]), 0.9, true],
    ["a new article scores above the floor", 9, entry(9), 0.75, true],
    ["a new article ties the floor", 9, entry(9), 0.6, true],
    ["a new article scores below the floor", 9, entry(9), 0.59, false],
    ["a new high-scoring article the filter rejects", 9, entry(9, ["sport"]), 0.99, false],
    ["an article that is not a candidate was deleted", 9, undefined, 0, false],
  ])("%s: %s", (_what, label, current, score, expected) => {
    expect(couldChangeList(politicsList, { label, current, scoreNow: () => score })).toBe(expected);
  });

  it("lets any newly accepted article in when the search saw every accepted article", () => {
    const complete = { ...politicsList, floorScore: -Infinity };
    expect(couldChangeList(complete, { label: 9, current: entry(9), scoreNow: () => -0.9 })).toBe(true);
  });

  it("never asks for a score when membership or the filter decides", () => {
    const scoreNow = () => {
      throw new Error("score asked for");
    };
    expect(couldChangeList(politicsList, { label: 2, current: entry(2), scoreNow })).toBe(true);
    expect(couldChangeList(politicsList, { label: 9, current: entry(9, ["sport"]), scoreNow })).toBe(false);
  });
});

describe("RelatedCache", () => {
  const entries = new Map<number, CatalogEntry>([1, 2, 3, 4, 9].map((label) => [label, entry(label)]));
  const scores = new Map<number, number>([[9, 0.1]]);
  const state: CurrentState = { entry: (label) => entries.get(label), score: (_query, label) => scores.get(label) ?? 0 };

  it("keeps a list through changes that cannot alter it and drops it at the first that can", () => {
    const cache = new RelatedCache<string>(10);
    cache.set("list-of-1", "answer", politicsList);
    cache.recordChange(9); // scores 0.1, below the floor
    expect(cache.get("list-of-1", state)).toBe("answer");
    scores.set(9, 0.8);
    cache.recordChange(9);
    expect(cache.get("list-of-1", state)).toBeUndefined();
    expect(cache.stats()).toMatchObject({ hits: 1, misses: 1, invalidated: 1, entries: 0 });
  });

  it("checks only the changes since a list was last checked", () => {
    const cache = new RelatedCache<string>(10);
    scores.set(9, 0.1);
    cache.recordChange(3); // before the list was cached: irrelevant to it
    cache.set("list-of-1", "answer", politicsList);
    expect(cache.get("list-of-1", state)).toBe("answer");
  });

  it("evicts the least recently used list beyond its bound", () => {
    const cache = new RelatedCache<string>(2);
    cache.set("a", "A", politicsList);
    cache.set("b", "B", politicsList);
    cache.get("a", state);
    cache.set("c", "C", politicsList);
    expect(cache.get("b", state)).toBeUndefined();
    expect(cache.get("a", state)).toBe("A");
    expect(cache.get("c", state)).toBe("C");
  });

  it("stays within its byte bound, least recently used out first, and reports its size", () => {
    const cache = new RelatedCache<string>(100, 100_000, 10_000);
    cache.set("a", "A", politicsList, 4_000);
    cache.set("b", "B", politicsList, 4_000);
    cache.get("a", state);
    cache.set("c", "C", politicsList, 4_000);
    expect(cache.stats()).toMatchObject({ entries: 2, bytes: 8_000, max_bytes: 10_000 });
    expect(cache.get("b", state)).toBeUndefined();
    expect(cache.get("a", state)).toBe("A");
    cache.set("huge", "H", politicsList, 20_000); // larger than the whole bound: not kept
    expect(cache.get("huge", state)).toBeUndefined();
    expect(cache.stats()).toMatchObject({ entries: 2, bytes: 8_000 });
    cache.clear();
    expect(cache.stats()).toMatchObject({ entries: 0, bytes: 0 });
  });

  it("drops the lists of older lexical statistics when told the version moved, and keeps the rest", () => {
    const cache = new RelatedCache<string>(100);
    const lexical = (version: number) => ({ ...politicsList, lexicalTerms: new Set(["vote"]), lexicalVersion: version });
    cache.set("old-1", "A", lexical(1));
    cache.set("old-2", "B", lexical(1));
    cache.set("plain", "C", politicsList);
    cache.set("new", "D", lexical(2));
    cache.dropLexicallyOlder(2);
    expect(cache.stats()).toMatchObject({ entries: 2, invalidated: 2 });
    expect(cache.get("plain", state)).toBe("C");
    expect(cache.get("new", { ...state, lexicalVersion: () => 2 })).toBe("D");
    // A key set again with newer statistics is not dropped for its older entry.
    cache.set("plain", "C2", lexical(3));
    cache.set("plain", "C3", lexical(4));
    cache.dropLexicallyOlder(4);
    expect(cache.get("plain", { ...state, lexicalVersion: () => 4 })).toBe("C3");
  });

  it("drops a list older than its bounded journal rather than guess", () => {
    const cache = new RelatedCache<string>(10, 4);
    cache.set("list-of-1", "answer", politicsList);
    scores.set(9, 0.1);
    for (let i = 0; i < 5; i++) cache.recordChange(9);
    expect(cache.get("list-of-1", state)).toBeUndefined();
  });
});

describe("relatedListKey: one key per distinct query", () => {
  const base = { k: 10, filters: noFilters };
  /** A value other than the default for each ranking option (the record type makes a new option a compile error here). */
  const changed: { [K in keyof RankingOptions]: RankingOptions[K] } = {
    mode: "dense",
    foldDuplicates: false,
    diversity: 0.5,
    halfLifeDays: 7,
    boostTopics: ["sports"],
    minCosine: 0.6,
    topicSignal: false,
    explain: true,
  };

  it("tells apart requests that differ in any ranking option, given or left to its default", () => {
    const plain = relatedListKey("a1", base);
    const keys = new Set([plain]);
    for (const option of Object.keys(defaultRankingOptions) as (keyof RankingOptions)[]) {
      const key = relatedListKey("a1", { ...base, ranking: { [option]: changed[option] } });
      expect(key, option).not.toBe(plain);
      keys.add(key);
    }
    expect(keys.size).toBe(Object.keys(defaultRankingOptions).length + 1);
  });

  it("tells apart the article, k, each filter and the relative dates", () => {
    const variants = [
      relatedListKey("a1", base),
      relatedListKey("a2", base),
      relatedListKey("a1", { ...base, k: 5 }),
      relatedListKey("a1", { ...base, filters: { ...noFilters, topics: ["politics"] } }),
      relatedListKey("a1", { ...base, filters: { ...noFilters, excludeTopics: ["politics"] } }),
      relatedListKey("a1", { ...base, filters: { ...noFilters, sinceMs: 1 } }),
      relatedListKey("a1", { ...base, filters: { ...noFilters, untilMs: 1 } }),
      relatedListKey("a1", { ...base, filters: { ...noFilters, excludeIds: ["a3"] } }),
      relatedListKey("a1", { ...base, relativeDates: { beforeArticle: true, afterArticle: false } }),
      relatedListKey("a1", { ...base, relativeDates: { beforeArticle: false, afterArticle: true } }),
    ];
    expect(new Set(variants).size).toBe(variants.length);
  });

  it("gives one key to lists of topics and ids in any order or with repeats, and to fields in any order", () => {
    const a = relatedListKey("a1", { k: 5, filters: { ...noFilters, topics: ["b", "a"], excludeIds: ["x", "y", "x"] }, ranking: { boostTopics: ["s", "r"] } });
    const b = relatedListKey("a1", { ranking: { boostTopics: ["r", "s"] }, filters: { ...noFilters, excludeIds: ["y", "x"], topics: ["a", "b", "a"] }, k: 5 });
    expect(a).toBe(b);
  });
});
