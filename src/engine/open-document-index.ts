import type { Logger } from "pino";
import { type DocumentWeighting, defaultDocumentWeighting } from "../core/related/document-weights.ts";
import type { ArticleStore } from "../store/article-store.ts";
import { DocumentIndex } from "./document-index.ts";
import { readDocumentIndexFile } from "./document-index-file.ts";

/** Where the document index came from: its saved file as is, that file brought forward by the change log, or the store. */
export type DocumentIndexSource = "loaded" | "replayed" | "rebuilt";

type DocumentStore = Pick<ArticleStore, "getLexicalProfile" | "listChangesSince" | "latestSeq" | "oldestReplayableSeq" | "getTermStatistics">;

/**
 * The whole-document lexical index as of the store's latest change: the saved one
 * (engine/document-index-file.ts) with the change log replayed onto it as onto the graph (an
 * upsert re-reads the article's profile, a delete removes it), or, when that file is missing,
 * unusable, older than the retained log or disagrees with the store after replay, one rebuilt
 * from every stored profile of `labels` (the catalog's, in label order), with a warning. Call
 * inside the store's read snapshot.
 */
export function openDocumentIndex(
  store: DocumentStore,
  labels: Iterable<number>,
  options: { dataDir: string; logger: Logger; weighting?: DocumentWeighting },
): { documents: DocumentIndex; source: DocumentIndexSource } {
  const weighting = options.weighting ?? defaultDocumentWeighting;
  const saved = readDocumentIndexFile(options.dataDir, weighting);
  let reason = "no saved document index";
  if (saved.status === "unusable") reason = `saved document index unusable: ${saved.reason}`;
  else if (saved.status === "loaded" && saved.seq > store.latestSeq()) reason = `saved document index is of change ${saved.seq}, past the store's latest`;
  else if (saved.status === "loaded" && saved.seq < store.oldestReplayableSeq()) reason = "saved document index is older than the retained change log";
  else if (saved.status === "loaded") {
    const changes = store.listChangesSince(saved.seq);
    const documents = saved.index;
    for (const change of changes) {
      const profile = change.kind === "upsert" ? store.getLexicalProfile(change.label) : null;
      if (profile === null) documents.remove(change.label);
      else documents.upsert(change.label, profile);
    }
    const disagreement = disagreementWithStore(documents, store, new Set(changes.map((change) => change.label)));
    if (disagreement === null) return { documents, source: changes.length > 0 ? "replayed" : "loaded" };
    reason = `saved document index disagrees with the store after replay: ${disagreement}`;
  }
  options.logger.warn({ reason }, "rebuilding the document index from the stored lexical profiles");
  return { documents: rebuildDocumentIndex(store, labels, weighting), source: "rebuilt" };
}

/** The document index from every stored profile, read in label order. */
function rebuildDocumentIndex(store: DocumentStore, labels: Iterable<number>, weighting: DocumentWeighting): DocumentIndex {
  const documents = new DocumentIndex(weighting);
  for (const label of labels) {
    const profile = store.getLexicalProfile(label);
    if (profile !== null) documents.upsert(label, profile);
  }
  documents.trim();
  return documents;
}

/**
 * Null, or what differs between a loaded index and the store: the number of articles indexed,
 * or the vector of one of a few articles the log did not touch (a file saved from another
 * store would differ there).
 */
function disagreementWithStore(documents: DocumentIndex, store: DocumentStore, changed: ReadonlySet<number>): string | null {
  const articles = store.getTermStatistics([]).articles;
  if (documents.size() !== articles) return `${documents.size()} articles indexed, the store has ${articles}`;
  const unchanged = documents.labels().filter((label) => !changed.has(label));
  for (const label of [unchanged[0], unchanged[unchanged.length >> 1], unchanged[unchanged.length - 1]]) {
    if (label === undefined) continue;
    const profile = store.getLexicalProfile(label);
    const loaded = documents.termsOf(label)!;
    const stored = profile === null ? null : documents.termsOfProfile(profile);
    if (stored === null || !sameValues(stored.terms, loaded.terms) || !sameValues(stored.weights, loaded.weights) || stored.words !== loaded.words) {
      return `the terms of label ${label} differ from its stored profile's`;
    }
  }
  return null;
}

function sameValues(a: ArrayLike<number>, b: ArrayLike<number>): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
