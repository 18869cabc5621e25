import { describe, expect, it } from "vitest";
import type { Article } from "../../src/core/article.ts";
import { noFilters } from "../../src/core/related/related-filters.ts";
import { hegsethId, pentagonDenialId } from "../support/demo-slice.ts";
import { useDemoSliceEngine } from "../support/open-test-engine.ts";

const article = (id: string, title: string, topics: string[] = []): Article => ({
  id,
  title,
  body: "",
  url: null,
  topics,
  publishedAt: "2025-03-07",
  publishedMs: Date.UTC(2025, 2, 7),
  lang: "en",
  source: null,
});

describe("related queries on the demo slice", () => {
  const slice = useDemoSliceEngine();

  it("puts the Pentagon's response first for the Hegseth item, never the item itself", () => {
    const { results, article: query } = slice.opened.engine.findRelatedToArticle(hegsethId, { k: 10, filters: noFilters });
    expect(query.id).toBe(hegsethId);
    expect(results[0]!.entry.id).toBe(pentagonDenialId);
    expect(results.map((result) => result.entry.id)).not.toContain(hegsethId);
    expect(results).toHaveLength(10);
    // Each cosine is the embedding's own (the dense ranking's score), and the denial is the nearest of these.
    const dense = slice.opened.engine.findRelatedToArticle(hegsethId, { k: 100, filters: noFilters, ranking: { mode: "dense" } }).results;
    const denseScore = new Map(dense.map((result) => [result.entry.id, result.score]));
    const compared = results.filter((result) => denseScore.has(result.entry.id));
    expect(compared.length).toBeGreaterThanOrEqual(5);
    for (const result of compared) expect(result.cosine).toBeCloseTo(denseScore.get(result.entry.id)!, 6);
    expect(Math.max(...results.map((result) => result.cosine))).toBe(results[0]!.cosine);
  });

  it("returns k results with a topic filter when k match, and all matches when fewer do", () => {
    const topic = "science and technology"; // 10 of 231 items
    const { results } = slice.opened.engine.findRelatedToArticle(hegsethId, { k: 8, filters: { ...noFilters, topics: [topic] } });
    expect(results).toHaveLength(8);
    expect(slice.opened.engine.findRelatedToArticle(hegsethId, { k: 20, filters: { ...noFilters, topics: [topic] } }).results).toHaveLength(10);
    expect(results.every((result) => result.entry.topics.includes(topic))).toBe(true);
  });

  it("answers free text without storing it", async () => {
    const before = slice.opened.engine.size();
    const { results } = await slice.opened.engine.findRelatedToText(
      { title: "Cyber Command", text: "The US defence secretary paused offensive cyber operations against Russia." },
      { k: 5, filters: noFilters },
    );
    expect(results.map((result) => result.entry.id)).toContain(hegsethId);
    expect(slice.opened.engine.size()).toBe(before);
  });

  it("folds copies of one text into one result and never returns a copy of the query", async () => {
    const original = slice.opened.engine.getArticle(pentagonDenialId)!;
    await slice.opened.engine.writeArticles([
      // Copies are republished at their own URLs (a URL belongs to one article).
      { ...original, id: "wire-copy-1", url: "https://wire.example/copy-1" },
      { ...original, id: "wire-copy-2", url: "https://wire.example/copy-2" },
      { ...slice.opened.engine.getArticle(hegsethId)!, id: "copy-of-query", url: "https://wire.example/copy-of-query" },
    ]);
    const { results, foldedCopies } = slice.opened.engine.findRelatedToArticle(hegsethId, { k: 10, filters: noFilters });
    const ids = results.map((result) => result.entry.id);
    expect(ids.filter((id) => [pentagonDenialId, "wire-copy-1", "wire-copy-2"].includes(id))).toHaveLength(1);
    expect(ids).not.toContain("copy-of-query");
    expect(foldedCopies).toBeGreaterThanOrEqual(2);
    expect(results).toHaveLength(10);
  });

  it("re-embeds only changed text; a metadata change updates filters at once", async () => {
    await slice.opened.engine.writeArticles([article("meta-1", "Zelenskyy meets European leaders in London", ["ukraine"])]);
    const embeddedBefore = slice.embedder.embeddedTexts;
    const [outcome] = await slice.opened.engine.writeArticles([article("meta-1", "Zelenskyy meets European leaders in London", ["ukraine", "diplomacy"])]);
    expect(outcome!.status).toBe("updated");
    expect(slice.embedder.embeddedTexts).toBe(embeddedBefore);
    const { results } = slice.opened.engine.findRelatedToArticle(hegsethId, { k: 5, filters: { ...noFilters, topics: ["diplomacy"] } });
    expect(results.map((result) => result.entry.id)).toEqual(["meta-1"]);
  });

  it("forgets a deleted article at once", async () => {
    await slice.opened.engine.writeArticles([article("to-delete", "Hegseth orders a halt to cyber operations against Russia, officials say")]);
    expect(slice.opened.engine.findRelatedToArticle(hegsethId, { k: 5, filters: noFilters }).results.map((r) => r.entry.id)).toContain("to-delete");
    expect(await slice.opened.engine.deleteArticle("to-delete")).toBe(true);
    expect(slice.opened.engine.findRelatedToArticle(hegsethId, { k: 50, filters: noFilters }).results.map((r) => r.entry.id)).not.toContain("to-delete");
    expect(() => slice.opened.engine.findRelatedToArticle("to-delete", { k: 5, filters: noFilters })).toThrow(/No article with id "to-delete"/);
  });
});
