/** One result of a measured list: the article shown and the copies of its text folded into it. */
export interface ShownResult {
  id: string;
  copies: readonly string[];
}

/** Why a member of the query's story is not in its list. */
export type MissReason =
  /** One text with the query article: a list never shows the page the reader is on again. */
  | { id: string; reason: "copy-of-query" }
  /** Folded into a result it copies: the list shows that copy in its place. */
  | { id: string; reason: "folded"; into: string }
  /** Ranked below the list's length, or not found at all: what the ranking missed. */
  | { id: string; reason: "not-listed" };

/**
 * Each member of the query's story (the query left out) that its list does not show, and why:
 * a copy of the query, a copy folded into a result, or missed by the ranking. Only the last is
 * a fault of the ranking; the first two are what folding costs (the folded ceiling), so this
 * tells the two apart query by query.
 */
export function missedMembers(
  queryId: string,
  storyMembers: readonly string[],
  shown: readonly ShownResult[],
  isCopyOfQuery: (id: string) => boolean,
): MissReason[] {
  const shownIds = new Set(shown.map((result) => result.id));
  const foldedInto = new Map<string, string>();
  for (const result of shown) for (const copy of result.copies) foldedInto.set(copy, result.id);
  return storyMembers.flatMap((id): MissReason[] => {
    if (id === queryId || shownIds.has(id)) return [];
    const into = foldedInto.get(id);
    if (into !== undefined) return [{ id, reason: "folded", into }];
    return [isCopyOfQuery(id) ? { id, reason: "copy-of-query" } : { id, reason: "not-listed" }];
  });
}

/** Story members missed, summed by why. */
export interface MissCounts {
  folded: number;
  copyOfQuery: number;
  notListed: number;
}

/** Adds one list's misses to `counts`. */
export function countMisses(counts: MissCounts, missed: readonly MissReason[]): void {
  for (const miss of missed) {
    if (miss.reason === "folded") counts.folded++;
    else if (miss.reason === "copy-of-query") counts.copyOfQuery++;
    else counts.notListed++;
  }
}
