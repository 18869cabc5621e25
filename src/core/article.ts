/**
 * The article as the core sees it: plain data, already validated and normalised at the edge
 * (see src/articles/article-schema.ts). Times are ISO strings for output and epoch
 * milliseconds for filtering.
 */
export interface Article {
  id: string;
  title: string;
  /** Plain text of the article (HTML already reduced to text). May be empty for title-only items. */
  body: string;
  url: string | null;
  /** Normalised (see core/topics.ts), unique, in the order given. */
  topics: string[];
  publishedAt: string | null;
  publishedMs: number | null;
  lang: string | null;
  source: string | null;
  /** Display fields (docs/news-page.md): shown by the widget and the fragment, never ranked on. Absent means null. */
  imageUrl?: string | null;
  section?: string | null;
  author?: string | null;
}
