import type { ArticleStore } from "../store/article-store.ts";
import type { LoadedIndexes } from "./load-indexes.ts";

/**
 * Replays the store's change log onto the in-memory indexes (catalog, whole-document lexical index, exact, graph), from
 * `indexes.appliedSeq` on; returns how many labels changed. A metadata-only change updates
 * the catalog without touching the vectors. One synchronous pass: a read in between sees
 * each article either before or after, never half-applied. `onApplied` hears of each changed
 * label (the result cache and a running compaction follow changes through it).
 */
export function applyStoreChanges(indexes: LoadedIndexes, store: ArticleStore, onApplied?: (label: number) => void): number {
  const changes = store.listChangesSince(indexes.appliedSeq);
  for (const change of changes) {
    onApplied?.(change.label);
    const article = change.kind === "upsert" ? store.findByLabel(change.label) : null;
    if (article === null) {
      indexes.catalog.remove(change.label);
      indexes.documents.remove(change.label);
      indexes.exact.remove(change.label);
      indexes.graph.remove(change.label);
      indexes.embedHashes.delete(change.label);
      continue;
    }
    if (indexes.embedHashes.get(change.label) !== article.embedHash || !indexes.graph.has(change.label)) {
      const vector = store.getVector(change.label)!;
      indexes.exact.upsert(change.label, vector);
      indexes.graph.upsert(change.label, vector);
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
  // Changes come ordered by sequence number; SQLite serialises writers, so none can appear below it later.
  if (changes.length > 0) indexes.appliedSeq = Math.max(indexes.appliedSeq, changes[changes.length - 1]!.seq);
  return changes.length;
}
