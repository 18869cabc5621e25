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
  publishedAt: string | null;
  publishedMs: number | null;
  textHash: string;
}
