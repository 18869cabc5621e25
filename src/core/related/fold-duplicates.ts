import type { CatalogEntry } from "./catalog-entry.ts";
import { duplicateJaccard, jaccardAtLeast } from "./shingle-signature.ts";

/** A result and the copies of its text folded into it. */
export interface FoldedGroup<T> {
  /** The copy shown: the newest, then the most complete (most words), then the best ranked. */
  shown: T;
  /** The other copies, best ranked first. */
  copies: T[];
}

export interface FoldOutcome<T> {
  groups: FoldedGroup<T>[];
  /** Candidates dropped for being a copy of the query article. */
  copiesOfQuery: number;
}

/** What folding knows of the query article. */
export interface FoldQuery {
  textHash: string | null;
  signature: Uint32Array | null;
}

/** True when two articles are one text: the same text hash, or shingle Jaccard >= 0.6. */
export function isCopy(a: Pick<CatalogEntry, "textHash" | "signature">, b: Pick<CatalogEntry, "textHash" | "signature">): boolean {
  return a.textHash === b.textHash || jaccardAtLeast(a.signature, b.signature, duplicateJaccard);
}

/**
 * Folds copies and light edits of one text (wire re-runs, revised versions, reworded headlines)
 * into one result, so a reader never sees the same story twice. Walks the ranked candidates;
 * each joins the first earlier group it copies (compared with every member, so a chain of
 * edits stays one group), or starts a new one. A group keeps the place of its best-ranked
 * member but shows its newest, most complete copy. Copies of the query article are dropped.
 *
 * @example
 *   foldDuplicates(ranked, { textHash: query.textHash, signature: query.signature }).groups.map((group) => group.shown)
 */
export function foldDuplicates<T extends { entry: CatalogEntry }>(ranked: readonly T[], query: FoldQuery): FoldOutcome<T> {
  const groups: T[][] = [];
  let copiesOfQuery = 0;
  for (const candidate of ranked) {
    const { entry } = candidate;
    if (entry.textHash === query.textHash || (query.signature !== null && jaccardAtLeast(entry.signature, query.signature, duplicateJaccard))) {
      copiesOfQuery++;
      continue;
    }
    // The first earlier group any member of which it copies (plain loops: this runs for every pair of a query's window).
    let group: T[] | undefined;
    for (let g = 0; g < groups.length && group === undefined; g++) {
      const members = groups[g]!;
      for (let m = 0; m < members.length; m++) {
        if (isCopy(members[m]!.entry, entry)) {
          group = members;
          break;
        }
      }
    }
    if (group === undefined) groups.push([candidate]);
    else group.push(candidate);
  }
  return { groups: groups.map(pickShown), copiesOfQuery };
}

function pickShown<T extends { entry: CatalogEntry }>(members: T[]): FoldedGroup<T> {
  let shown = members[0]!;
  for (const member of members.slice(1)) {
    const memberTime = member.entry.publishedMs ?? -Infinity;
    const shownTime = shown.entry.publishedMs ?? -Infinity;
    if (memberTime > shownTime || (memberTime === shownTime && member.entry.words > shown.entry.words)) shown = member;
  }
  return { shown, copies: members.filter((member) => member !== shown) };
}
