import type { Article } from "../core/article.ts";
import type { PassagePlan } from "../core/embed-text.ts";
import { prepareArticle } from "../engine/store-writer.ts";
import type { ComparableArticle } from "../store/sqlite-article-lookup.ts";
import type { StoredVersion } from "../store/sqlite-record-digests.ts";
import { hasSameFields, isUnchangedWrite } from "../store/unchanged-write.ts";

/**
 * Which articles of a batch the store already holds exactly as given (the store's own
 * unchanged-write rule, store/unchanged-write.ts): such an article is counted "unchanged"
 * without opening the engine, so a re-index that changes nothing loads no graph, starts no
 * writer thread and no model. The batch's stored articles are read in one lookup, and every
 * field is compared before anything is hashed, so a changed article costs no hashing.
 *
 * @example
 *   const unchangedAmong = createUnchangedCheck((ids) => lookup.findByIds(ids), "google/use-lite", "selected");
 *   unchangedAmong([article]); // [{ seq: 41, embedHash: "..." }] when writing it would change nothing, else [null]
 */
export function createUnchangedCheck(
  findByIds: (ids: readonly string[]) => ReadonlyMap<string, ComparableArticle>,
  modelId: string,
  plan: PassagePlan,
): (articles: readonly Article[]) => (StoredVersion | null)[] {
  return (articles) => {
    const stored = findByIds(articles.map((article) => article.id));
    return articles.map((article) => {
      const current = stored.get(article.id);
      if (current === undefined || !hasSameFields(current, article)) return null;
      const { textHash, embedHash } = prepareArticle(modelId, article, plan);
      return isUnchangedWrite(current, { article, textHash, embedHash, vector: null }) ? { seq: current.seq, embedHash: current.embedHash } : null;
    });
  };
}
