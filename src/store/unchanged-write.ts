import type { Article } from "../core/article.ts";
import type { ArticleWrite } from "./article-store.ts";

/**
 * Whether a write would change nothing: the hashes and every field it gives match the stored
 * article. Every store answers such a write "unchanged" and logs no change.
 */
export function isUnchangedWrite(stored: Article & { textHash: string; embedHash: string }, write: ArticleWrite): boolean {
  return stored.embedHash === write.embedHash && stored.textHash === write.textHash && hasSameFields(stored, write.article);
}

/**
 * Whether every field of `next` a store keeps equals the stored article's (the hashes aside,
 * which derive from the fields: a re-index compares these first and hashes only what passes).
 */
export function hasSameFields(stored: Article, next: Article): boolean {
  return (
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
