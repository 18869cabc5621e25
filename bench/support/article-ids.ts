import { SqliteArticleStore } from "../../src/store/sqlite-article-store.ts";

/** Every article id in a data directory, in label order (to pick query articles from). */
export function readArticleIds(dataDir: string): string[] {
  const store = SqliteArticleStore.open(dataDir);
  try {
    return Array.from(store.listSummaries(), (article) => article.id);
  } finally {
    store.close();
  }
}
