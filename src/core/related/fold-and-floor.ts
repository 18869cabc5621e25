import type { CatalogEntry } from "./catalog-entry.ts";
import { type FoldedGroup, type FoldQuery, foldDuplicates } from "./fold-duplicates.ts";

/** What is left of a ranked list once copies are folded and the cosine floor applied. */
export interface FoldedList<T> {
  /** Every group folding made, before the floor (how many the list could show). */
  groups: FoldedGroup<T>[];
  /** The groups at or above the cosine floor, in rank order. */
  shown: FoldedGroup<T>[];
  /** Candidates dropped for being a copy of the query article. */
  copiesOfQuery: number;
}

/**
 * Folds copies of one text into one group and applies the `min_cosine` floor. Folding compares
 * each candidate with the groups before it: without diversity (MMR) only the top of the ranking
 * can be shown, so a window of `k + windowExtra` is folded (all of it only if copies left fewer
 * than k). The floor filters after folding and never widens anything: the candidates already
 * hold the query's nearest by that same cosine, so what lies outside is below the floor
 * whenever the list came out short. `minCosine` null: no floor.
 */
export function foldAndFloor<T extends { entry: CatalogEntry; cosine: number }>(
  ranked: readonly T[],
  options: { k: number; windowExtra: number; diversity: number; foldDuplicates: boolean; minCosine: number | null },
  query: FoldQuery,
): FoldedList<T> {
  const fold = (candidates: readonly T[]) => foldDuplicates(candidates, query);
  const window = options.diversity > 0 ? ranked : ranked.slice(0, options.k + options.windowExtra);
  let folded = options.foldDuplicates ? fold(window) : { groups: ranked.map((candidate) => ({ shown: candidate, copies: [] as T[] })), copiesOfQuery: 0 };
  if (options.foldDuplicates && folded.groups.length < options.k && window.length < ranked.length) folded = fold(ranked);
  const { groups, copiesOfQuery } = folded;
  const minCosine = options.minCosine;
  const shown = minCosine === null ? groups : groups.filter((group) => group.shown.cosine >= minCosine);
  return { groups, shown, copiesOfQuery };
}
