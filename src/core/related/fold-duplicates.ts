import type { CatalogEntry } from "./catalog-entry.ts";
import { CopyCandidates } from "./copy-candidates.ts";
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
  // Every member so far with its group: the candidates it may copy are found by band hashes
  // (copy-candidates.ts) and the same text hash, then tested in full; the first group any
  // member of which it copies is the one with the lowest index.
  const members: CatalogEntry[] = [];
  const groupOfMember: number[] = [];
  const copies = CopyCandidates.reused(ranked.length);
  const groupByTextHash = new Map<string, number>();
  for (const candidate of ranked) {
    const { entry } = candidate;
    if (entry.textHash === query.textHash || (query.signature !== null && jaccardAtLeast(entry.signature, query.signature, duplicateJaccard))) {
      copiesOfQuery++;
      continue;
    }
    let group = groupByTextHash.get(entry.textHash) ?? groups.length;
    for (const member of copies.candidatesOf(entry.signature)) {
      if (groupOfMember[member]! < group && isCopy(members[member]!, entry)) group = groupOfMember[member]!;
    }
    if (group === groups.length) groups.push([candidate]);
    else groups[group]!.push(candidate);
    members.push(entry);
    groupOfMember.push(group);
    copies.add(entry.signature);
    if (!((groupByTextHash.get(entry.textHash) ?? Infinity) <= group)) groupByTextHash.set(entry.textHash, group);
  }
  return { groups: groups.map(pickShown), copiesOfQuery };
}

function pickShown<T extends { entry: CatalogEntry }>(members: T[]): FoldedGroup<T> {
  if (members.length === 1) return { shown: members[0]!, copies: [] };
  let shown = members[0]!;
  for (const member of members.slice(1)) {
    const memberTime = member.entry.publishedMs ?? -Infinity;
    const shownTime = shown.entry.publishedMs ?? -Infinity;
    if (memberTime > shownTime || (memberTime === shownTime && member.entry.words > shown.entry.words)) shown = member;
  }
  return { shown, copies: members.filter((member) => member !== shown) };
}
