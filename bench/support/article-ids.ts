import { SqliteArticleStore } from "../../src/store/sqlite-article-store.ts";
import { createRandom } from "./synthetic-corpus.ts";

/** Every article id in a data directory, in label order (to pick query articles from). */
export function readArticleIds(dataDir: string): string[] {
  const store = SqliteArticleStore.open(dataDir);
  try {
    return Array.from(store.listSummaries(), (article) => article.id);
  } finally {
    store.close();
  }
}

/** Related-by-id paths of articles drawn at random (seeded) from `ids`, as a site's article pages would ask. */
export function randomRelatedPaths(ids: readonly string[], seed: number): () => string {
  const random = createRandom(seed);
  return () => `/v1/articles/${encodeURIComponent(ids[Math.floor(random() * ids.length)]!)}/related`;
}
