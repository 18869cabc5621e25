import { readFileSync } from "node:fs";
import { join } from "node:path";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { type KindredServer, startKindredServer } from "../support/kindred-server.ts";
import { createDatabase, type PostgresCluster, startPostgresCluster } from "../support/postgres-cluster.ts";
import { kindred } from "../support/run-kindred.ts";
import { useTempDir } from "../support/temp-dir.ts";

/**
 * Replicas on one PostgreSQL, tested with real processes: the demo slice imported into the
 * database (vectors and all, no re-embedding), two `kindred serve` replicas with their own data
 * directories, writes through either showing on the other, a same-article race with one winner,
 * and a replica killed with SIGKILL in the middle of writes losing nothing it acknowledged.
 */

const writerKey = "replica-test-writer-key-0123456789";
/** Generous for a loaded 2-core CI machine; the follow lag itself is measured in bench/ (replicas.ts). */
const visibleWithinMs = 10_000;

interface DemoItem {
  id: string;
  title: string;
  text: string;
  topics: string[];
  published_at: string;
}

describe("replicas on one PostgreSQL", () => {
  const root = useTempDir("kindred-replicas-");
  const items = readFileSync(inject("demoSlicePath"), "utf8")
    .trim()
    .split("\n")
    .map((line) => JSON.parse(line) as DemoItem);
  let cluster: PostgresCluster;
  let databaseUrl: string;
  let env: Record<string, string>;
  const servers: KindredServer[] = [];
  let a: KindredServer;
  let b: KindredServer;

  const startReplica = async (name: string) => {
    const server = await startKindredServer(join(root, name), env);
    servers.push(server);
    return server;
  };
  const call = async (server: KindredServer, method: string, path: string, body?: unknown) => {
    const response = await fetch(`${server.baseUrl}${path}`, {
      method,
      headers: { authorization: `Bearer ${writerKey}`, ...(body === undefined ? {} : { "content-type": "application/json" }) },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const text = await response.text();
    return { status: response.status, body: text === "" ? null : (JSON.parse(text) as Record<string, any>) };
  };
  /** Polls until `check` holds on the server's answers; fails with the last answer after the bound. */
  const eventually = async (describe: string, check: () => Promise<boolean>) => {
    const started = Date.now();
    while (!(await check())) {
      if (Date.now() - started > visibleWithinMs) throw new Error(`${describe}: not within ${visibleWithinMs} ms`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  };
  const isIndexed = async (server: KindredServer, id: string) =>
    (await call(server, "GET", `/v1/articles/${encodeURIComponent(id)}/related?k=3`)).status === 200;

  beforeAll(async () => {
    cluster = await startPostgresCluster();
    databaseUrl = await createDatabase(cluster.baseUrl, "replicas");
    env = {
      KINDRED_DATABASE_URL: databaseUrl,
      KINDRED_API_KEYS: `replica-test:write:${writerKey}`,
      KINDRED_EMBED_WORKERS: "1",
      KINDRED_GRAPH_SAVE_INTERVAL_MS: "500",
    };
    // The demo index (embedded once by the global setup) moves into PostgreSQL without re-embedding.
    const imported = await kindred(["migrate", "--database-url", databaseUrl, "--import-sqlite", inject("demoIndexDir")]);
    expect(imported.code, imported.stderr).toBe(0);
    expect(imported.stdout).toMatch(new RegExp(`Imported .*: ${items.length} created`));
    [a, b] = await Promise.all([startReplica("replica-a"), startReplica("replica-b")]);
  });
  afterAll(async () => {
    for (const server of servers) server.child.kill("SIGKILL");
    await Promise.all(servers.map((server) => server.exited));
    cluster?.stop();
  });

  it("serves the imported corpus from both replicas with the same related lists, once each has made its kept lists", async () => {
    const sample = items[7]!.id;
    // A new replica's data directory holds no document index: it makes every kept list in the background, serving meanwhile.
    for (const server of [a, b]) {
      await eventually("the kept lists made", async () => (await call(server, "GET", "/readyz")).body?.kept_lists_pending === 0);
    }
    const [fromA, fromB] = await Promise.all([call(a, "GET", `/v1/articles/${sample}/related?k=5`), call(b, "GET", `/v1/articles/${sample}/related?k=5`)]);
    expect(fromA.status).toBe(200);
    expect(fromA.body!.results.length).toBe(5);
    expect(fromB.body!.results).toEqual(fromA.body!.results);
    expect((await call(b, "GET", "/readyz")).body).toMatchObject({ status: "ready", articles: items.length });
  });

  it("shows a write through one replica in the other's lists, and a delete through the other in the first's", async () => {
    const base = items[3]!;
    const put = await call(a, "PUT", "/v1/articles/replica-new-1", {
      title: `Follow-up: ${base.title}`,
      text: base.text,
      topics: base.topics,
      published_at: base.published_at,
    });
    expect(put.status, JSON.stringify(put.body)).toBe(201);
    await eventually("the write through A on B", () => isIndexed(b, "replica-new-1"));
    const list = await call(b, "GET", `/v1/articles/${base.id}/related?k=5&fold_duplicates=false`);
    expect(list.body!.results.map((result: { id: string }) => result.id)).toContain("replica-new-1");

    expect((await call(b, "DELETE", "/v1/articles/replica-new-1")).status).toBe(204);
    await eventually("the delete through B on A", async () => !(await isIndexed(a, "replica-new-1")));
    expect((await call(a, "GET", "/v1/articles/replica-new-1")).status).toBe(404);
  });

  it("ends a race for one article with one winner on both replicas, both writes logged", async () => {
    const base = items[5]!;
    const body = (title: string) => ({ title, text: base.text, topics: base.topics, published_at: base.published_at });
    const [fromA, fromB] = await Promise.all([
      call(a, "PUT", "/v1/articles/replica-race", body("Version A")),
      call(b, "PUT", "/v1/articles/replica-race", body("Version B")),
    ]);
    expect([fromA.status, fromB.status].sort()).toEqual([200, 201]);
    const titleOn = async (server: KindredServer) => (await call(server, "GET", "/v1/articles/replica-race")).body?.title;
    // The later commit wins: both replicas converge on it.
    await eventually("both replicas agree", async () => (await titleOn(a)) === (await titleOn(b)));
    const client = new pg.Client({ connectionString: databaseUrl });
    await client.connect();
    try {
      const log = await client.query<{ seq: string }>("SELECT seq FROM kindred_changes WHERE article_id = 'replica-race' ORDER BY seq");
      const stored = await client.query<{ title: string }>("SELECT title FROM kindred_articles WHERE id = 'replica-race'");
      expect(log.rows).toHaveLength(2);
      expect(["Version A", "Version B"]).toContain(stored.rows[0]!.title);
      expect(await titleOn(a)).toBe(stored.rows[0]!.title);
    } finally {
      await client.end();
    }
  });

  it("loses nothing acknowledged when a replica is killed mid-writes, and the restarted replica catches up", async () => {
    const acked: string[] = [];
    let stop = false;
    const writer = async (client: number) => {
      for (let n = 0; !stop; n++) {
        const base = items[(client * 50 + n) % items.length]!;
        const id = `replica-kill-${client}-${n}`;
        const ok = await call(a, "PUT", `/v1/articles/${id}`, {
          title: `Update ${n}: ${base.title}`,
          text: base.text,
          topics: base.topics,
          published_at: base.published_at,
        })
          .then(({ status }) => status === 201)
          .catch(() => false);
        if (!ok) return;
        acked.push(id);
        if (acked.length === 12) {
          stop = true;
          a.child.kill("SIGKILL");
        }
      }
    };
    await Promise.all([writer(0), writer(1), writer(2)]);
    await a.exited;
    expect(acked.length).toBeGreaterThanOrEqual(12);
    // Every acknowledged write is in the database, so the surviving replica serves it.
    for (const id of acked) await eventually(`${id} on B`, () => isIndexed(b, id));
    // Written while A is down: A must catch up on restart from its graph and copy plus the log.
    const base = items[9]!;
    expect(
      (await call(b, "PUT", "/v1/articles/replica-while-down", { title: `While down: ${base.title}`, text: base.text, published_at: base.published_at }))
        .status,
    ).toBe(201);
    a = await startReplica("replica-a");
    for (const id of [...acked, "replica-while-down"]) expect(await isIndexed(a, id), id).toBe(true);
    expect((await call(a, "GET", "/readyz")).body!.articles).toBe((await call(b, "GET", "/readyz")).body!.articles);
  });
});
