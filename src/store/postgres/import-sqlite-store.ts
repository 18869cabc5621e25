import { KindredError } from "../../core/errors.ts";
import type { ArticleWrite } from "../article-store.ts";
import type { SqliteArticleStore } from "../sqlite-article-store.ts";
import type { PostgresArticleLog } from "./postgres-article-log.ts";

/**
 * Copies every article of a SQLite store, with its stored vector and hashes, into PostgreSQL:
 * moving a single node to replicas without re-embedding anything. Writes in batches (each one
 * transaction); running it again writes nothing new ("unchanged"). Refuses a database that
 * pins another model.
 *
 * @example
 *   await importSqliteStore(SqliteArticleStore.open("index"), new PostgresArticleLog(pool));
 */
export async function importSqliteStore(
  source: SqliteArticleStore,
  target: PostgresArticleLog,
  options: { batchSize?: number; onProgress?: (done: number, total: number) => void } = {},
): Promise<{ created: number; updated: number; unchanged: number }> {
  const pin = source.getModelPin();
  if (pin === null) return { created: 0, updated: 0, unchanged: 0 };
  const inForce = await target.pinModelIfUnset(pin);
  if (inForce.modelId !== pin.modelId) {
    throw new KindredError(
      "index_model_mismatch",
      `The database pins model "${inForce.modelId}" but the SQLite index holds vectors of "${pin.modelId}"; import into a new database.`,
      {
        indexModel: pin.modelId,
        databaseModel: inForce.modelId,
      },
    );
  }
  const total = source.count();
  const counts = { created: 0, updated: 0, unchanged: 0 };
  let batch: ArticleWrite[] = [];
  let done = 0;
  const flush = async () => {
    for (const outcome of await target.writeArticles(batch, pin.modelId)) counts[outcome.status]++;
    done += batch.length;
    batch = [];
    options.onProgress?.(done, total);
  };
  for (const stored of source.listArticles()) {
    const { label: _label, textHash, embedHash, seq: _seq, signature: _signature, words: _words, ...article } = stored;
    batch.push({ article, textHash, embedHash, vector: source.getVector(stored.label)! });
    if (batch.length >= (options.batchSize ?? 500)) await flush();
  }
  if (batch.length > 0) await flush();
  return counts;
}
