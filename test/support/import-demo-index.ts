import type pg from "pg";
import { inject } from "vitest";
import { importSqliteStore } from "../../src/store/postgres/import-sqlite-store.ts";
import { PostgresArticleLog } from "../../src/store/postgres/postgres-article-log.ts";
import { migratePostgres } from "../../src/store/postgres/postgres-migrations.ts";
import { SqliteArticleStore } from "../../src/store/sqlite-article-store.ts";

/** Migrates a PostgreSQL database and imports the demo slice the global setup indexed (vectors and all, no re-embedding). */
export async function importDemoIndex(pool: pg.Pool): Promise<void> {
  await migratePostgres(pool);
  const source = SqliteArticleStore.open(inject("demoIndexDir"));
  try {
    await importSqliteStore(source, new PostgresArticleLog(pool));
  } finally {
    source.close();
  }
}
