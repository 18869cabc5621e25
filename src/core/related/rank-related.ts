import type { CatalogEntry } from "./catalog-entry.ts";

export interface ScoredCandidate {
  entry: CatalogEntry;
  /** Cosine similarity to the query, in [-1, 1]. */
  score: number;
}

export interface RankedRelated {
  results: ScoredCandidate[];
  /** Candidates dropped because a better-ranked result has the same text. */
  foldedCopies: number;
}

/**
 * Orders candidates by score and keeps one article per text: copies of the same text (wire
 * duplicates re-published under another id) fold into the best-ranked one, so a reader never
 * sees the same story twice. Ties break by id for stable lists.
 */
export function rankRelated(candidates: readonly ScoredCandidate[], k: number): RankedRelated {
  const ordered = [...candidates].sort((a, b) => b.score - a.score || (a.entry.id < b.entry.id ? -1 : 1));
  const seenTexts = new Set<string>();
  const results: ScoredCandidate[] = [];
  let foldedCopies = 0;
  for (const candidate of ordered) {
    if (seenTexts.has(candidate.entry.textHash)) {
      foldedCopies++;
      continue;
    }
    seenTexts.add(candidate.entry.textHash);
    if (results.length < k) results.push(candidate);
  }
  return { results, foldedCopies };
}
