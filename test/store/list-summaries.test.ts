import { join } from "node:path";
import { describe, expect, it } from "vitest";
import type { Article } from "../../src/core/article.ts";
import { SqliteArticleStore } from "../../src/store/sqlite-article-store.ts";
import { useTempDir } from "../support/temp-dir.ts";

function article(id: string, topics: string[]): Article {
  return {
    id,
    title: `Title ${id}`,
    body: `Body of ${id}`,
    url: null,
    topics,
    publishedAt: "2025-03-02",
    publishedMs: Date.UTC(2025, 2, 2),
    lang: "en",
    source: null,
  };
}

describe("article summaries for the in-memory catalog", () => {
  it("match every stored article without its body, topics in their order, after updates and deletes", () => {
    const store = SqliteArticleStore.open(join(useTempDir(), "index"));
    const write = (item: Article) => ({ article: item, textHash: `t-${item.id}`, embedHash: `e-${item.id}`, vector: new Float32Array([1, 0]) });
    store.writeArticles([write(article("a", ["politics", "europe"])), write(article("b", [])), write(article("c", ["sports"]))]);
    store.writeArticles([write(article("a", ["europe", "economy", "politics"]))]);
    store.deleteArticle("b");

    const summaries = [...store.listSummaries()];
    const expected = [...store.listArticles()].map(({ body: _body, source: _source, ...summary }) => summary);
    expect(summaries).toEqual(expected);
    expect(summaries.map((summary) => summary.topics)).toEqual([["europe", "economy", "politics"], ["sports"]]);
    store.close();
  });
});
