import { type KeptListOptions, keptListOf, takeIn } from "../core/related/kept-neighbourhoods.ts";
import { noFilters } from "../core/related/related-filters.ts";
import type { ArticleStore } from "../store/article-store.ts";
import { findRelatedArticles, type RankingEnvironment } from "./find-related-articles.ts";
import type { LoadedIndexes } from "./load-indexes.ts";
import { storedArticleQuery } from "./related-queries.ts";

/**
 * Keeps a just-written article's list: its own related list as the collection stands (the
 * ranking without this part, copies unfolded), and its place in the list of each article it
 * lists, at the score it gave that article. (An article no longer stored has no list: the
 * document index drops it with the article.)
 * Returns the labels whose lists changed besides its own (their related lists may change).
 */
export function keepNeighbourhoodOf(
  environment: RankingEnvironment,
  indexes: LoadedIndexes,
  lexicon: Pick<ArticleStore, "getLexicalProfile">,
  label: number,
  options: KeptListOptions,
): number[] {
  const { documents } = indexes;
  const entry = indexes.catalog.get(label);
  const vector = indexes.exact.getVector(label);
  if (entry === undefined || vector === null) return [];
  const answer = findRelatedArticles(
    { ...environment, neighbourParts: false },
    storedArticleQuery(indexes, lexicon, entry, vector),
    { k: options.capacity, filters: noFilters, ranking: { mode: "hybrid", foldDuplicates: false, topicSignal: false } },
    { labels: new Set([label]), textHashes: new Set([entry.textHash]) },
  );
  const list = keptListOf(
    answer.results.map((result) => ({ label: result.entry.label, score: result.score })),
    options,
  );
  documents.keepList(label, list, indexes.catalog.size());
  const changed: number[] = [];
  list.labels.forEach((neighbour, index) => {
    const next = takeIn(documents.keptList(neighbour), label, list.scores[index]!, options);
    if (next === null) return;
    documents.keepList(neighbour, next);
    changed.push(neighbour);
  });
  return changed;
}
