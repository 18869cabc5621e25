import { join } from "node:path";
import { afterAll, beforeAll } from "vitest";
import { silentLogger } from "../../../src/log/logger.ts";
import type { ArticleStore } from "../../../src/store/article-store.ts";
import { PostgresReplicaStore } from "../../../src/store/postgres/postgres-replica-store.ts";
import { SqliteArticleStore } from "../../../src/store/sqlite-article-store.ts";
import { createDatabase, type PostgresCluster, startPostgresCluster } from "../../support/postgres-cluster.ts";
import { useTempDir } from "../../support/temp-dir.ts";

/** One implementation of the store ports, opened empty for each test. */
export interface StoreImplementation {
  name: string;
  open(): Promise<ArticleStore>;
  /** Closes a store opened by `open` (a PostgreSQL replica also ends its pool). */
  close(store: ArticleStore): Promise<void>;
}

/**
 * Every implementation the contract suites run against: SQLite, and the PostgreSQL replica
 * store on a throwaway cluster this test file starts (a fresh database per test).
 */
export function useStoreImplementations(): StoreImplementation[] {
  const root = useTempDir("kindred-contract-");
  let cluster: PostgresCluster | null = null;
  let opened = 0;
  beforeAll(async () => {
    cluster = await startPostgresCluster();
  });
  afterAll(() => cluster?.stop());
  return [
    {
      name: "SQLite",
      open: async () => SqliteArticleStore.open(join(root, `sqlite-${++opened}`)),
      close: async (store) => store.close(),
    },
    {
      name: "PostgreSQL",
      open: async () => {
        const name = `contract_${++opened}`;
        const databaseUrl = await createDatabase(cluster!.baseUrl, name);
        return PostgresReplicaStore.open({ databaseUrl, dataDir: join(root, name), logger: silentLogger() });
      },
      close: async (store) => (store as PostgresReplicaStore).end(),
    },
  ];
}
