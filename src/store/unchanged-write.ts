import type { Article } from "../core/article.ts";
import type { ArticleWrite } from "./article-store.ts";

/**
 * Whether a write would change nothing: the hashes and every field it gives match the stored
 * article. Every store answers such a write "unchanged" and logs no change.
 */
export function isUnchangedWrite(stored: Article & { textHash: string; embedHash: string }, write: ArticleWrite): boolean {
  const next: Article = write.article;
  return (
    stored.embedHash === write.embedHash &&
    stored.textHash === write.textHash &&
    stored.title === next.title &&
    stored.body === next.body &&
    stored.url === next.url &&
    stored.publishedAt === next.publishedAt &&
    stored.lang === next.lang &&
    stored.source === next.source &&
    (stored.imageUrl ?? null) === (next.imageUrl ?? null) &&
    (stored.section ?? null) === (next.section ?? null) &&
    (stored.author ?? null) === (next.author ?? null) &&
    stored.topics.length === next.topics.length &&
    stored.topics.every((topic, index) => topic === next.topics[index])
  );
}
