/**
 * Stories grouped by size (articles in the story, the query's own included), as a site meets
 * them: a story told two to five times, a running story, a big one. Precision moves with size
 * for reasons of its own: a small story's list is mostly other stories whatever the ranking,
 * folding costs most where one wire text is most of a story, and a big story fills a list.
 */
export interface StorySizeGroup {
  from: number;
  /** Null: no upper bound. */
  to: number | null;
}

export const storySizeGroups: readonly StorySizeGroup[] = [
  { from: 2, to: 5 },
  { from: 6, to: 10 },
  { from: 11, to: null },
];

/** "2-5", "11+". */
export function storySizeGroupName(group: StorySizeGroup): string {
  return group.to === null ? `${group.from}+` : `${group.from}-${group.to}`;
}

/** Whether a story of `size` articles is in the group. */
export function inStorySizeGroup(group: StorySizeGroup, size: number): boolean {
  return size >= group.from && (group.to === null || size <= group.to);
}

/**
 * Per group, the per-query values of the queries whose story is of that size, the others null
 * (which `bootstrapInterval` leaves out), so each group's interval is over its own queries.
 *
 * @example
 *   valuesByStorySize([0.5, 1, 0.8], [3, 12, 1]); // [[0.5, null, null], [null, null, null], [null, 1, null]]
 */
export function valuesByStorySize<T>(values: readonly (T | null)[], storySizes: readonly number[]): (T | null)[][] {
  return storySizeGroups.map((group) => values.map((value, index) => (inStorySizeGroup(group, storySizes[index]!) ? value : null)));
}
