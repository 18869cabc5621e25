import { type KeptListOptions, keptListOf, takeIn } from "../core/related/kept-neighbourhoods.ts";
import { noFilters } from "../core/related/related-filters.ts";
import type { ArticleStore } from "../store/article-store.ts";
import { type DenseSearch, findRelatedArticles, findRelatedArticlesWith, type HybridAnswer, type RankingEnvironment } from "./find-related-articles.ts";
import type { LoadedIndexes } from "./load-indexes.ts";
import { storedArticleQuery } from "./related-queries.ts";

type Lexicon = Pick<ArticleStore, "getLexicalProfile">;

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
  lexicon: Lexicon,
  label: number,
  options: KeptListOptions,
): number[] {
  const ranking = keptListRanking(environment, indexes, lexicon, label, options);
  if (ranking === null) return [];
  return keepRankedList(indexes, ranking.entry, findRelatedArticles(...ranking.arguments), options);
}

/**
 * The same, with the dense channel's search made by `search` (pgvector mode: in PostgreSQL,
 * where the in-memory alternative is an exact scan of every vector). Changes may apply while it
 * waits: a list whose article was deleted or re-texted meanwhile is not kept (the write that
 * changed it makes its own).
 */
export async function keepNeighbourhoodWith(
  search: DenseSearch,
  environment: RankingEnvironment,
  indexes: LoadedIndexes,
  lexicon: Lexicon,
  label: number,
  options: KeptListOptions,
): Promise<number[]> {
  const ranking = keptListRanking(environment, indexes, lexicon, label, options);
  if (ranking === null) return [];
  const answer = await findRelatedArticlesWith(search, ...ranking.arguments);
  if (indexes.catalog.get(label) !== ranking.entry) return [];
  return keepRankedList(indexes, ranking.entry, answer, options);
}

/** The related query a kept list is made from, or null for an article not stored (or without a vector). */
function keptListRanking(environment: RankingEnvironment, indexes: LoadedIndexes, lexicon: Lexicon, label: number, options: KeptListOptions) {
  const entry = indexes.catalog.get(label);
  const vector = indexes.exact.getVector(label);
  if (entry === undefined || vector === null) return null;
  const rankingArguments: Parameters<typeof findRelatedArticles> = [
    { ...environment, neighbourParts: false },
    storedArticleQuery(indexes, lexicon, entry, vector),
    { k: options.capacity, filters: noFilters, ranking: { mode: "hybrid", foldDuplicates: false, topicSignal: false } },
    { labels: new Set([label]), textHashes: new Set([entry.textHash]) },
  ];
  return { entry, arguments: rankingArguments };
}

/** Keeps the ranked list as the article's own, and takes the article into the list of each listed article that has one. */
function keepRankedList(indexes: LoadedIndexes, entry: { label: number }, answer: HybridAnswer, options: KeptListOptions): number[] {
  const { documents } = indexes;
  const list = keptListOf(
    answer.results.map((result) => ({ label: result.entry.label, score: result.score })),
    options,
  );
  documents.keepList(entry.label, list, indexes.catalog.size());
  const changed: number[] = [];
  list.labels.forEach((neighbour, index) => {
    // An article whose own list is still to be made ranks this one itself when it is.
    if (!documents.hasKeptList(neighbour)) return;
    const next = takeIn(documents.keptList(neighbour), entry.label, list.scores[index]!, options);
    if (next === null) return;
    documents.keepList(neighbour, next);
    changed.push(neighbour);
  });
  return changed;
}
