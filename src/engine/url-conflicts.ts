import type { Article } from "../core/article.ts";
import { normalizeArticleUrl } from "../core/urls/normalize-article-url.ts";
import type { ArticleStore } from "../store/article-store.ts";

/** Why one article of a write may not take its URL: another article has it. */
export interface UrlConflict {
  /** Position in the list given. */
  index: number;
  id: string;
  /** The normalised URL. */
  url: string;
  /** The article that has it: stored, or earlier in the same list. */
  conflictingId: string;
}

/**
 * The articles of a write whose URL another live article has (a URL belongs to one article),
 * checked before the write so that a batch or a file rejects just those and writes the rest.
 * Counts the write's own effect: an article of the list that moves away from a URL frees it for
 * the articles after it,
 * and of two in the list with one URL the first takes it. The store checks again inside its
 * write transaction, which settles a race with another writer.
 */
export function findUrlConflicts(store: Pick<ArticleStore, "findIdByUrl">, articles: readonly Article[]): UrlConflict[] {
  const keyOfListed = new Map<string, string | null>();
  const indexOfListed = new Map<string, number>();
  articles.forEach((article, index) => {
    keyOfListed.set(article.id, article.url === null ? null : normalizeArticleUrl(article.url));
    indexOfListed.set(article.id, index);
  });
  const claimedBy = new Map<string, string>();
  const conflicts: UrlConflict[] = [];
  articles.forEach((article, index) => {
    const key = keyOfListed.get(article.id);
    if (key == null) return;
    const earlier = claimedBy.get(key);
    if (earlier !== undefined && earlier !== article.id) {
      conflicts.push({ index, id: article.id, url: key, conflictingId: earlier });
      return;
    }
    const owner = store.findIdByUrl(key);
    // The stored owner keeps the URL unless this same write gives it another one first (the
    // store writes in list order).
    const ownerMovesFirst = owner !== null && keyOfListed.has(owner) && keyOfListed.get(owner) !== key && indexOfListed.get(owner)! < index;
    if (owner !== null && owner !== article.id && !ownerMovesFirst) {
      conflicts.push({ index, id: article.id, url: key, conflictingId: owner });
      return;
    }
    claimedBy.set(key, article.id);
  });
  return conflicts;
}

/** The message of a URL conflict, for a batch result or an import's rejected record. */
export function describeUrlConflict(conflict: UrlConflict): string {
  return `has the URL ${conflict.url}, which article "${conflict.conflictingId}" already has; a URL belongs to one article`;
}
