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
 * A ranked list whose members are made on demand: folding usually reads only the top of the
 * ranking, so the rest of a candidate pool need never become objects.
 */
export interface RankedCandidates<T> {
  readonly length: number;
  /** The first `count` (all of them when `count` >= `length`), best first. */
  first(count: number): readonly T[];
}

/** An array as a `RankedCandidates`. */
export function rankedArray<T>(ranked: readonly T[]): RankedCandidates<T> {
  return { length: ranked.length, first: (count) => (count >= ranked.length ? ranked : ranked.slice(0, count)) };
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
  ranked: RankedCandidates<T>,
  options: { k: number; windowExtra: number; diversity: number; foldDuplicates: boolean; minCosine: number | null },
  query: FoldQuery,
): FoldedList<T> {
  const fold = (candidates: readonly T[]) => foldDuplicates(candidates, query);
  const all = () => ranked.first(ranked.length);
  const window = options.diversity > 0 ? all() : ranked.first(options.k + options.windowExtra);
  let folded = options.foldDuplicates ? fold(window) : { groups: all().map((candidate) => ({ shown: candidate, copies: [] as T[] })), copiesOfQuery: 0 };
  if (options.foldDuplicates && folded.groups.length < options.k && window.length < ranked.length) folded = fold(all());
  const { groups, copiesOfQuery } = folded;
  const minCosine = options.minCosine;
  const shown = minCosine === null ? groups : groups.filter((group) => group.shown.cosine >= minCosine);
  return { groups, shown, copiesOfQuery };
}
