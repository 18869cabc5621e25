import { cpSync } from "node:fs";
import { join } from "node:path";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { noFilters } from "../../src/core/related/related-filters.ts";
import { PostgresArticleLog } from "../../src/store/postgres/postgres-article-log.ts";
import { hegsethId } from "../support/demo-slice.ts";
import { importDemoIndex } from "../support/import-demo-index.ts";
import { openTestEngine } from "../support/open-test-engine.ts";
import { createDatabase, type PostgresCluster, startPostgresCluster } from "../support/postgres-cluster.ts";
import { useTempDir } from "../support/temp-dir.ts";

/**
 * A new replica started from a copy of another replica's data directory (its local copy, saved
 * graph and log position: a snapshot taken while that replica was stopped) loads the graph and
 * replays only the change log since the snapshot, instead of copying every article and
 * rebuilding the graph from zero (docs/deployment.md, "Adding a replica").
 */
describe("a replica started from another's snapshot", () => {
  const root = useTempDir("kindred-replica-snapshot-");
  let cluster: PostgresCluster;
  let databaseUrl: string;
  let pool: pg.Pool;

  beforeAll(async () => {
    cluster = await startPostgresCluster();
    databaseUrl = await createDatabase(cluster.baseUrl, "snapshot");
    pool = new pg.Pool({ connectionString: databaseUrl, max: 2 });
    await importDemoIndex(pool);
  }, 120_000);
  afterAll(async () => {
    await pool?.end();
    cluster?.stop();
  });

  it("loads the snapshot's graph and replays only what was written since", async () => {
    const first = await openTestEngine(join(root, "first"), undefined, { databaseUrl, recallCheckQueries: 0 });
    expect(first.engine.graphSource).toBe("rebuilt");
    const articles = first.engine.size();
    const before = first.engine.findRelatedToArticle(hegsethId, { k: 5, filters: noFilters }, { cache: false }).results.map((r) => r.entry.id);
    await first.close();
    cpSync(join(root, "first"), join(root, "second"), { recursive: true });

    // Written after the snapshot, by another replica: the first result of the list goes.
    const log = new PostgresArticleLog(pool);
    await log.deleteArticles([before[0]!]);

    const second = await openTestEngine(join(root, "second"), undefined, { databaseUrl, recallCheckQueries: 0 });
    try {
      expect(second.engine.graphSource).toBe("replayed");
      expect(second.engine.size()).toBe(articles - 1);
      const after = second.engine.findRelatedToArticle(hegsethId, { k: 5, filters: noFilters }, { cache: false }).results.map((r) => r.entry.id);
      expect(after).not.toContain(before[0]);
      // The same list as a replica that copied everything and built its graph from zero.
      const rebuilt = await openTestEngine(join(root, "third"), undefined, { databaseUrl, recallCheckQueries: 0 });
      try {
        expect(rebuilt.engine.graphSource).toBe("rebuilt");
        expect(rebuilt.engine.findRelatedToArticle(hegsethId, { k: 5, filters: noFilters }, { cache: false }).results.map((r) => r.entry.id)).toEqual(after);
      } finally {
        await rebuilt.close();
      }
    } finally {
      await second.close();
    }
  }, 120_000);
});
