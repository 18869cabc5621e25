import type { Article } from "../../../src/core/article.ts";
import type { ArticleWrite } from "../../../src/store/article-store.ts";

export function article(id: string, overrides: Partial<Article> = {}): Article {
  return {
    id,
    title: `Title ${id}`,
    body: `Body of ${id}`,
    url: null,
    topics: [],
    publishedAt: "2025-03-02",
    publishedMs: Date.UTC(2025, 2, 2),
    lang: "en",
    source: null,
    ...overrides,
  };
}

/** A write whose hashes follow the text, as the engine's are (a different text, a different hash). */
export function write(item: Article, vector: Float32Array | null = new Float32Array([1, 0, 0])): ArticleWrite {
  const text = `${item.title}\n${item.body}`;
  return { article: item, textHash: `t:${text}`, embedHash: `e:${text}`, vector };
}
