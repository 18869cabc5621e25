import type { ArticleStore, Change } from "../store/article-store.ts";
import type { LoadedIndexes } from "./load-indexes.ts";

/**
 * Replays the store's change log onto the in-memory indexes (catalog, whole-document lexical index, exact, graph), from
 * `indexes.appliedSeq` on; returns how many labels changed. A metadata-only change updates
 * the catalog without touching the vectors. Each change is applied in one synchronous step:
 * a read in between sees each article either before or after, never half-applied.
 * `onApplied` hears of each changed label (the result cache and a running compaction follow
 * changes through it).
 *
 * With `budget`, it stops once `performance.now()` passes `untilMs` (after at least one
 * change), so the caller can yield to the event loop and call again: a batch of a thousand
 * graph insertions must not hold up reads. Changes come ordered by sequence number, so the
 * applied ones are a prefix and `appliedSeq` says where to go on from.
 */
export function applyStoreChanges(indexes: LoadedIndexes, store: ArticleStore, onApplied?: (label: number) => void, budget?: { untilMs: number }): number {
  const changes = store.listChangesSince(indexes.appliedSeq);
  let applied = 0;
  for (const change of changes) {
    applyChange(indexes, store, change, onApplied);
    // SQLite serialises writers, so no change can appear below this sequence number later.
    indexes.appliedSeq = Math.max(indexes.appliedSeq, change.seq);
    applied++;
    if (budget !== undefined && performance.now() >= budget.untilMs) break;
  }
  return applied;
}

function applyChange(indexes: LoadedIndexes, store: ArticleStore, change: Change, onApplied?: (label: number) => void): void {
  onApplied?.(change.label);
  const article = change.kind === "upsert" ? store.findByLabel(change.label) : null;
  if (article === null) {
    indexes.catalog.remove(change.label);
    indexes.documents.remove(change.label);
    indexes.exact.remove(change.label);
    indexes.graph?.remove(change.label);
    indexes.embedHashes.delete(change.label);
    return;
  }
  if (indexes.embedHashes.get(change.label) !== article.embedHash || !(indexes.graph ?? indexes.exact).has(change.label)) {
    const vector = store.getVector(change.label)!;
    indexes.exact.upsert(change.label, vector);
    indexes.graph?.upsert(change.label, vector);
    indexes.embedHashes.set(change.label, article.embedHash);
  }
  // The text's profile changes only with the text; a metadata-only change keeps its vector.
  if (indexes.catalog.get(change.label)?.textHash !== article.textHash || !indexes.documents.has(change.label)) {
    const profile = store.getLexicalProfile(change.label);
    if (profile === null) indexes.documents.remove(change.label);
    else indexes.documents.upsert(change.label, profile);
  }
  indexes.catalog.upsert(article);
}
