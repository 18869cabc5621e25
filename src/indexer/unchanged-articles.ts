import type { Article } from "../core/article.ts";
import type { PassagePlan } from "../core/embed-text.ts";
import { prepareArticle } from "../engine/store-writer.ts";
import type { ArticleStore } from "../store/article-store.ts";
import { isUnchangedWrite } from "../store/unchanged-write.ts";

/**
 * Whether the store already holds an article exactly as given (the store's own unchanged-write
 * rule, store/unchanged-write.ts): such an article is counted "unchanged" without opening the
 * engine, so a re-index that changes nothing loads no graph, starts no writer thread and no
 * model. The text is compared before anything is hashed, so a changed article costs one lookup.
 *
 * @example
 *   const isUnchanged = createUnchangedCheck(store, "google/use-lite", "selected");
 *   isUnchanged(article); // true when writing it would change nothing
 */
export function createUnchangedCheck(store: Pick<ArticleStore, "findById">, modelId: string, plan: PassagePlan): (article: Article) => boolean {
  return (article) => {
    const stored = store.findById(article.id);
    if (stored === null || stored.title !== article.title || stored.body !== article.body) return false;
    const { textHash, embedHash } = prepareArticle(modelId, article, plan);
    return isUnchangedWrite(stored, { article, textHash, embedHash, vector: null });
  };
}
