/**
 * What the ranking core knows of an article: its metadata, never its body or vector.
 * Held in memory for every article so filters run inside the vector search.
 */
export interface CatalogEntry {
  label: number;
  id: string;
  title: string;
  url: string | null;
  topics: readonly string[];
  /**
   * `topics` as `topicKeyVector` packs them, made when the catalog takes the article in: what the
   * fusion scores shared topics with (absent: worked out from `topics`).
   */
  topicKeys?: readonly number[];
  publishedAt: string | null;
  publishedMs: number | null;
  textHash: string;
  /** MinHash of the body's word shingles: folds copies without reading bodies (shingle-signature.ts). */
  signature: Uint32Array;
  /** Words in title and body: the most complete of several copies is shown. */
  words: number;
  /** ISO 639-1 language, when known: a query the model cannot read is ranked by words alone. */
  lang: string | null;
  /** Display fields: what a related list shows beside the title (absent: none). */
  imageUrl?: string | null;
  section?: string | null;
  author?: string | null;
}
