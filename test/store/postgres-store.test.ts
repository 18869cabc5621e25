import { join } from "node:path";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadConfig } from "../../src/config/config.ts";
import { silentLogger } from "../../src/log/logger.ts";
import { PostgresArticleLog } from "../../src/store/postgres/postgres-article-log.ts";
import { migratePostgres } from "../../src/store/postgres/postgres-migrations.ts";
import { PostgresReplicaStore } from "../../src/store/postgres/postgres-replica-store.ts";
import { SqliteArticleStore } from "../../src/store/sqlite-article-store.ts";
import { createDatabase, type PostgresCluster, startPostgresCluster } from "../support/postgres-cluster.ts";
import { useTempDir } from "../support/temp-dir.ts";
import { article, write } from "./contracts/contract-fixtures.ts";

describe("the PostgreSQL store", () => {
  const root = useTempDir("kindred-pg-store-");
  let cluster: PostgresCluster;
  let databases = 0;
  const freshDatabase = () => createDatabase(cluster.baseUrl, `store_${++databases}`);
  const openReplica = (databaseUrl: string, name: string) => PostgresReplicaStore.open({ databaseUrl, dataDir: join(root, name), logger: silentLogger() });
  beforeAll(async () => {
    cluster = await startPostgresCluster();
  });
  afterAll(() => cluster?.stop());

  it("applies its migrations once, and refuses a database newer than it knows", async () => {
    const pool = new pg.Pool({ connectionString: await freshDatabase() });
    try {
      expect(await migratePostgres(pool)).toEqual([1, 2, 3]);
      expect(await migratePostgres(pool)).toEqual([]);
      await pool.query("INSERT INTO kindred_schema_migrations(version, name) VALUES (99, 'from the future')");
      await expect(migratePostgres(pool)).rejects.toThrow(/schema version 99; this kindred knows versions up to 3/);
    } finally {
      await pool.end();
    }
  });

  it("refuses a data directory that copies another database, or holds an index of its own", async () => {
    const first = await openReplica(await freshDatabase(), "copy-of-first");
    await first.end();
    await expect(openReplica(await freshDatabase(), "copy-of-first")).rejects.toThrow(/holds a copy of another PostgreSQL database/);
    const own = SqliteArticleStore.open(join(root, "own-index"));
    own.writeArticles([write(article("a"))]);
    own.close();
    await expect(openReplica(await freshDatabase(), "own-index")).rejects.toThrow(/holds a SQLite index of its own/);
  });

  it("ends two replicas' race for one article with the same winner on both (the one PostgreSQL holds), both logged", async () => {
    const databaseUrl = await freshDatabase();
    const [a, b] = await Promise.all([openReplica(databaseUrl, "race-a"), openReplica(databaseUrl, "race-b")]);
    try {
      const outcomes = await Promise.all([
        a.writeArticles([write(article("x", { title: "From A" }), new Float32Array([1, 0, 0]))]),
        b.writeArticles([write(article("x", { title: "From B" }), new Float32Array([0, 1, 0]))]),
      ]);
      expect(outcomes.map(([outcome]) => outcome!.status).sort()).toEqual(["created", "updated"]);
      await Promise.all([a.catchUp(), b.catchUp()]);
      const pool = new pg.Pool({ connectionString: databaseUrl });
      const stored = (
        await pool.query<{ title: string; n: string }>(
          "SELECT title, (SELECT COUNT(*) FROM kindred_changes WHERE article_id = 'x') AS n FROM kindred_articles WHERE id = 'x'",
        )
      ).rows[0]!;
      await pool.end();
      expect(stored.n).toBe("2");
      expect(a.findById("x")!.title).toBe(stored.title);
      expect(b.findById("x")!.title).toBe(stored.title);
      expect([...a.getVector(a.findById("x")!.label)!]).toEqual([...b.getVector(b.findById("x")!.label)!]);
    } finally {
      await Promise.all([a.end(), b.end()]);
    }
  });

  it("refuses a metadata-only write whose text another replica changed meanwhile (write_conflict), storing nothing", async () => {
    const databaseUrl = await freshDatabase();
    const [a, b] = await Promise.all([openReplica(databaseUrl, "conflict-a"), openReplica(databaseUrl, "conflict-b")]);
    try {
      await a.writeArticles([write(article("x"))]);
      await b.catchUp();
      await a.writeArticles([write(article("x", { body: "New text from A" }))]);
      // B has not caught up: it believes the old text is current and sends topics only.
      await expect(b.writeArticles([write(article("x", { topics: ["stale"] }), null)])).rejects.toMatchObject({ code: "write_conflict" });
      await b.catchUp();
      expect(b.findById("x")).toMatchObject({ body: "New text from A", topics: [] });
    } finally {
      await Promise.all([a.end(), b.end()]);
    }
  });

  it("follows another replica's writes by NOTIFY, and keeps following when its LISTEN connection is killed", async () => {
    const databaseUrl = await freshDatabase();
    const [a, b] = await Promise.all([openReplica(databaseUrl, "follow-a"), openReplica(databaseUrl, "follow-b")]);
    const admin = new pg.Client({ connectionString: databaseUrl });
    await admin.connect();
    let changes = 0;
    b.follow(() => changes++, 200);
    const until = async (what: string, check: () => Promise<boolean> | boolean) => {
      const started = Date.now();
      while (!(await check())) {
        if (Date.now() - started > 10_000) throw new Error(`${what}: not within 10 s`);
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
    };
    const listeners = async () => (await admin.query("SELECT pid FROM pg_stat_activity WHERE query ILIKE 'LISTEN%'")).rows.map((row) => row.pid as number);
    try {
      await until("B listening", async () => (await listeners()).length === 1);
      await a.writeArticles([write(article("first"))]);
      await until("first write on B", () => b.findById("first") !== null);
      expect(changes).toBeGreaterThan(0);
      await admin.query("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE query ILIKE 'LISTEN%'");
      await a.writeArticles([write(article("second"))]);
      await until("second write on B (polling, then a new LISTEN)", () => b.findById("second") !== null);
      await until("B listening again", async () => (await listeners()).length === 1);
    } finally {
      await admin.end();
      await Promise.all([a.end(), b.end()]);
    }
  });

  it("prunes the change log below every running replica; a new or long-away replica copies the articles whole, then follows", async () => {
    const databaseUrl = await freshDatabase();
    const admin = new pg.Pool({ connectionString: databaseUrl, max: 1 });
    const log = new PostgresArticleLog(admin);
    const changeCount = async () => Number((await admin.query<{ n: string }>("SELECT COUNT(*) AS n FROM kindred_changes")).rows[0]!.n);
    // Positions are reported at most once a second: wait that long, then let each replica report.
    const reportPositions = async (...replicas: PostgresReplicaStore[]) => {
      await new Promise((resolve) => setTimeout(resolve, 1_100));
      for (const replica of replicas) await replica.catchUp();
    };
    const a = await openReplica(databaseUrl, "prune-a");
    let b = await openReplica(databaseUrl, "prune-b");
    let c: PostgresReplicaStore | null = null;
    try {
      for (const id of ["p1", "p2", "p3", "p4", "p5"]) await a.writeArticles([write(article(id))]);
      await reportPositions(a, b);
      expect(await changeCount()).toBe(5);
      expect(await log.pruneChanges(60_000)).toBe(4); // the newest entry stays, as the log's position
      expect(await changeCount()).toBe(1);

      // A new replica: the log no longer reaches back to the first write.
      c = await openReplica(databaseUrl, "prune-c");
      expect(c.count()).toBe(5);
      expect(c.findById("p3")?.title).toBe("Title p3");

      // B stops; meanwhile an article goes, one comes, and the log is pruned past B's position.
      await b.end();
      await a.deleteArticles(["p2"]);
      await a.writeArticles([write(article("p6"))]);
      await reportPositions(a, c);
      expect(await log.pruneChanges(60_000)).toBeGreaterThan(0);
      b = await openReplica(databaseUrl, "prune-b");
      expect(b.findById("p2")).toBeNull();
      expect(b.findById("p6")).not.toBeNull();
      expect(b.count()).toBe(5);

      // Every replica follows the log from there.
      await b.writeArticles([write(article("p7"))]);
      await Promise.all([a.catchUp(), c.catchUp()]);
      expect([a.count(), b.count(), c.count()]).toEqual([6, 6, 6]);
      expect(c.findById("p2")).toBeNull();
    } finally {
      await admin.end();
      await Promise.all([a.end(), b.end(), c?.end()]);
    }
  });

  it("rejects a database URL that is not PostgreSQL, naming where it came from", () => {
    expect(() => loadConfig({ env: { KINDRED_DATABASE_URL: "mysql://db/kindred" }, configFile: undefined })).toThrow(
      /environment variable KINDRED_DATABASE_URL: must be a URL starting with "postgres:\/\/"/,
    );
    expect(loadConfig({ flags: { databaseUrl: "postgresql://db/kindred" }, env: {}, configFile: undefined }).databaseUrl).toBe("postgresql://db/kindred");
  });
});
