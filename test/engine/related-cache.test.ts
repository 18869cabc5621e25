import { beforeAll, describe, expect, it } from "vitest";
import type { Article } from "../../src/core/article.ts";
import { noFilters, type RelatedFilters } from "../../src/core/related/related-filters.ts";
import type { RelatedRequest } from "../../src/engine/kindred-engine.ts";
import type { OpenedEngine } from "../../src/engine/open-engine.ts";
import { hegsethId, pentagonDenialId } from "../support/demo-slice.ts";
import { useDemoSliceEngine } from "../support/open-test-engine.ts";

const article = (id: string, title: string, topics: string[] = [], publishedAt = "2025-03-07"): Article => ({
  id,
  title,
  body: "",
  url: null,
  topics,
  publishedAt,
  publishedMs: Date.parse(`${publishedAt}T00:00:00Z`),
  lang: "en",
  source: null,
});

const since = (date: string): RelatedFilters => ({ ...noFilters, sinceMs: Date.parse(`${date}T00:00:00Z`) });

describe("related-list cache: exact invalidation", () => {
  const slice = useDemoSliceEngine();
  /** A spread of lists: several articles, k, topic and date filters. */
  let queries: { id: string; request: RelatedRequest }[];

  beforeAll(() => {
    const ids = slice.opened.engine
      .listIds()
      .sort()
      .filter((_, index) => index % 23 === 0);
    // Hybrid lists (the default) depend on BM25's corpus statistics, which any text change moves;
    // dense lists depend only on their neighbours: both kinds are checked.
    queries = [hegsethId, pentagonDenialId, ...ids].flatMap((id) => [
      { id, request: { k: 10, filters: noFilters } },
      { id, request: { k: 3, filters: { ...noFilters, topics: ["international relations"] } } },
      { id, request: { k: 5, filters: since("2025-03-04") } },
      { id, request: { k: 10, filters: noFilters, ranking: { mode: "dense" } } },
      { id, request: { k: 5, filters: since("2025-03-04"), ranking: { mode: "dense" } } },
    ]);
  });

  const summary = (answer: ReturnType<OpenedEngine["engine"]["findRelatedToArticle"]>) => ({
    article: answer.article,
    results: answer.results.map((result) => [result.entry.id, result.entry.topics.join("|"), result.score.toFixed(5)]),
    foldedCopies: answer.foldedCopies,
  });

  /** Every cached answer must equal one computed afresh; returns how many were cache hits. */
  const expectCacheMatchesFreshAnswers = () => {
    const hitsBefore = slice.opened.engine.cacheStats().hits;
    for (const { id, request } of queries) {
      if (slice.opened.engine.getEntry(id) === undefined) continue;
      const served = slice.opened.engine.findRelatedToArticle(id, request);
      const fresh = slice.opened.engine.findRelatedToArticle(id, request, { cache: false });
      expect(summary(served), `${id} ${JSON.stringify(request)}`).toEqual(summary(fresh));
    }
    return slice.opened.engine.cacheStats().hits - hitsBefore;
  };

  it("serves a repeated query from the cache", () => {
    const first = slice.opened.engine.findRelatedToArticle(hegsethId, { k: 10, filters: noFilters });
    expect(slice.opened.engine.findRelatedToArticle(hegsethId, { k: 10, filters: noFilters })).toBe(first);
    expectCacheMatchesFreshAnswers();
    expect(expectCacheMatchesFreshAnswers()).toBeGreaterThan(queries.length * 0.9);
  });

  it("never serves a list an add, edit, metadata change or delete altered, and keeps the others", async () => {
    const hegsethTop = slice.opened.engine.findRelatedToArticle(hegsethId, { k: 10, filters: noFilters }).results.map((result) => result.entry.id);
    const changes: [string, () => Promise<unknown>][] = [
      [
        "add a near-copy of the Hegseth item",
        () =>
          slice.opened.engine.writeArticles([
            article("new-cyber", "Hegseth halts US offensive cyber operations against Russia, officials say", ["international relations"]),
          ]),
      ],
      ["add an unrelated article", () => slice.opened.engine.writeArticles([article("new-cake", "A lemon drizzle cake recipe for a rainy weekend", ["food"])])],
      ["edit the text of a listed article", () => slice.opened.engine.writeArticles([article(hegsethTop[1]!, "Local bakery wins a regional bread award")])],
      [
        "move a listed article out of the date range",
        async () =>
          slice.opened.engine.updateArticleMetadata(hegsethTop[2]!, (current) => ({
            ...current,
            publishedAt: "2025-02-01",
            publishedMs: Date.UTC(2025, 1, 1),
          })),
      ],
      [
        "give an article a topic a filtered list asks for",
        async () =>
          slice.opened.engine.updateArticleMetadata(hegsethTop[3]!, (current) => ({ ...current, topics: [...current.topics, "international relations"] })),
      ],
      ["delete a listed article", () => slice.opened.engine.deleteArticle(hegsethTop[4]!)],
      ["delete the unrelated article", () => slice.opened.engine.deleteArticle("new-cake")],
    ];
    for (const [what, change] of changes) {
      expectCacheMatchesFreshAnswers(); // fill the cache
      await change();
      const hits = expectCacheMatchesFreshAnswers();
      expect(hits, `${what}: some lists could not have changed and should stay cached`).toBeGreaterThan(0);
    }
  });

  it("keeps the Hegseth list cached when an unrelated article arrives, and drops it for a related one", async () => {
    const dense: RelatedRequest = { k: 10, filters: noFilters, ranking: { mode: "dense" } };
    const before = slice.opened.engine.findRelatedToArticle(hegsethId, dense);
    await slice.opened.engine.writeArticles([article("new-football", "Home side wins the cup final on penalties", ["sport"])]);
    expect(slice.opened.engine.findRelatedToArticle(hegsethId, dense)).toBe(before);
    await slice.opened.engine.writeArticles([article("new-pentagon", "Pentagon denies it ordered a pause in cyber operations against Russia", [])]);
    const after = slice.opened.engine.findRelatedToArticle(hegsethId, dense);
    expect(after).not.toBe(before);
    expect(after.results.map((result) => result.entry.id)).toContain("new-pentagon");
  });

  it("frees the lists a text change made unservable as soon as a newer list is cached, not when the bound pushes them out", async () => {
    const ids = slice.opened.engine.listIds().sort().slice(0, 5);
    for (const id of ids) slice.opened.engine.findRelatedToArticle(id, { k: 9, filters: noFilters });
    const before = slice.opened.engine.cacheStats();
    // Any text written moves the lexical statistics every hybrid list depends on.
    await slice.opened.engine.writeArticles([article("new-weather", "Heavy snow closes mountain passes")]);
    slice.opened.engine.findRelatedToArticle(pentagonDenialId, { k: 7, filters: noFilters });
    const after = slice.opened.engine.cacheStats();
    expect(after.entries).toBeLessThanOrEqual(before.entries - ids.length + 1);
    expect(after.invalidated - before.invalidated).toBeGreaterThanOrEqual(ids.length);
    // Lists that do not depend on the lexical statistics stay.
    const dense: RelatedRequest = { k: 10, filters: noFilters, ranking: { mode: "dense" } };
    const denseList = slice.opened.engine.findRelatedToArticle(hegsethId, dense);
    await slice.opened.engine.writeArticles([article("new-weather-2", "Snow ploughs clear the passes again")]);
    slice.opened.engine.findRelatedToArticle(pentagonDenialId, { k: 6, filters: noFilters });
    expect(slice.opened.engine.findRelatedToArticle(hegsethId, dense)).toBe(denseList);
  });
});
