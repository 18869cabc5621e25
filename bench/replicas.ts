/**
 * PostgreSQL store and replicas beside the SQLite single node (issue 17), in one run:
 *
 *   npx tsx bench/replicas.ts                 # 20,000 articles, 10 s of follow lag at 100 writes/s
 *   npx tsx bench/replicas.ts --quick         # small sizes: checks every figure is produced
 *   npx tsx bench/replicas.ts --articles 5000 --follow-seconds 20   # other sizes
 *
 * 1. Batch write throughput through the store port (batches of 500 synthetic articles with
 *    512-dimension vectors, as the write path hands them over after embedding): the SQLite
 *    store, and a PostgreSQL replica store (commit to PostgreSQL, then the replica's local copy
 *    catches up before the write returns). The PostgreSQL cluster is a throwaway one on loopback
 *    with fsync on, as SQLite runs with synchronous=FULL.
 * 2. Follow lag under 100 writes/s: four replica stores in this process take one article
 *    every 10 ms in turn, each write sent when due (not after the previous one's
 *    acknowledgement); a second process, a replica engine following the change log
 *    (LISTEN/NOTIFY), reports when each article is in its in-memory indexes. Lag counts from the
 *    write's acknowledgement (a follower may see it first: then it counts from when it heard).
 * 3. Related-by-id latency (engine.findRelatedToArticle, k=10, hybrid, cache off) on the single
 *    SQLite node and on a PostgreSQL replica holding the same articles.
 *
 * Writes bench/replicas-results.json; progress with the load average goes to stderr.
 */
import { fork } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { parseArgs } from "node:util";
import { defaultModelId, loadConfig } from "../src/config/config.ts";
import { hashArticleText, hashEmbedInput } from "../src/core/content-hash.ts";
import { buildEmbedText } from "../src/core/embed-text.ts";
import { noFilters } from "../src/core/related/related-filters.ts";
import { openEngine } from "../src/engine/open-engine.ts";
import { silentLogger } from "../src/log/logger.ts";
import type { ArticleStore, ArticleWrite } from "../src/store/article-store.ts";
import { PostgresReplicaStore } from "../src/store/postgres/postgres-replica-store.ts";
import { SqliteArticleStore } from "../src/store/sqlite-article-store.ts";
import { createDatabase, startPostgresCluster } from "../test/support/postgres-cluster.ts";
import { roundTo, summariseLatencies, timeSync } from "./support/latency-stats.ts";
import { describeMachine, readLoadAverage } from "./support/machine-info.ts";
import { logProgress } from "./support/progress-log.ts";
import { createRandom, SyntheticCorpus, syntheticArticleId } from "./support/synthetic-corpus.ts";

const { values } = parseArgs({
  options: { quick: { type: "boolean", default: false }, articles: { type: "string" }, "follow-seconds": { type: "string" }, out: { type: "string" } },
  strict: true,
});
const quick = values.quick!;
const defaults = quick ? { articles: 2_000, followSeconds: 2, queries: 200 } : { articles: 20_000, followSeconds: 10, queries: 3_000 };
const plan = {
  ...defaults,
  ...(values.articles === undefined ? {} : { articles: Number(values.articles) }),
  ...(values["follow-seconds"] === undefined ? {} : { followSeconds: Number(values["follow-seconds"]) }),
};
const dimensions = 512;
const batchSize = 500;
const bodyWords = 120;
const followWriters = 4;

const corpus = new SyntheticCorpus(plan.articles + 10_000, { dimensions, seed: 17 });
const writeOf = (label: number): ArticleWrite => {
  const article = corpus.articleAt(label, bodyWords);
  return {
    article,
    textHash: hashArticleText(article),
    embedHash: hashEmbedInput(defaultModelId, buildEmbedText(article)),
    vector: corpus.fillVector(label, new Float32Array(dimensions)),
  };
};

async function measureWrites(store: ArticleStore): Promise<{ articles: number; seconds: number; perSecond: number }> {
  await store.setModelPin({ modelId: defaultModelId, dimensions });
  // The writes are built first: only the store's work is timed.
  const batches: ArticleWrite[][] = [];
  for (let first = 1; first <= plan.articles; first += batchSize) {
    batches.push(Array.from({ length: Math.min(batchSize, plan.articles + 1 - first) }, (_, offset) => writeOf(first + offset)));
  }
  const started = performance.now();
  for (const batch of batches) await store.writeArticles(batch, defaultModelId);
  const seconds = (performance.now() - started) / 1000;
  return { articles: plan.articles, seconds: roundTo(seconds, 2), perSecond: Math.round(plan.articles / seconds) };
}

type Engine = Awaited<ReturnType<typeof openEngine>>["engine"];

/** Both engines answer the same queries, interleaved (which goes first alternates), so a load that changes meanwhile weighs on both alike. */
function measureRelated(engines: readonly Engine[]) {
  const random = createRandom(5);
  const pick = () => syntheticArticleId(1 + Math.floor(random() * plan.articles));
  const request = { k: 10, filters: noFilters, ranking: { mode: "hybrid" as const } };
  for (let warm = 0; warm < 200; warm++) {
    const id = pick();
    for (const engine of engines) engine.findRelatedToArticle(id, request, { cache: false });
  }
  const samples = engines.map((): number[] => []);
  for (let query = 0; query < plan.queries; query++) {
    const id = pick();
    const order = query % 2 === 0 ? engines.map((_, n) => n) : engines.map((_, n) => engines.length - 1 - n);
    for (const n of order) samples[n]!.push(timeSync(() => engines[n]!.findRelatedToArticle(id, request, { cache: false })).elapsedMs);
  }
  return samples.map((sample) => summariseLatencies(sample));
}

async function measureFollowLag(databaseUrl: string, workDir: string, articlesPerWrite: number, firstLabel: number) {
  const name = `follow-${articlesPerWrite}`;
  const follower = fork(new URL("./support/replica-follower.ts", import.meta.url).pathname, [join(workDir, `${name}-follower`), databaseUrl], {
    execArgv: ["--import", "tsx"],
  });
  const messages: any[] = [];
  const nextMessage = (type: string) =>
    new Promise<any>((resolve, reject) => {
      const seen = messages.find((message) => message.type === type);
      if (seen !== undefined) return resolve(seen);
      follower.on("message", (message: any) => message.type === type && resolve(message));
      follower.once("exit", (code) => reject(new Error(`follower exited (${code})`)));
    });
  follower.on("message", (message) => messages.push(message));
  await nextMessage("ready");
  // Writers as replicas taking writes, on a fixed schedule of one article every 10 ms (100
  // writes/s) spread over them in turn, each sent when due whether or not earlier ones are
  // acknowledged: the load several replicas behind a load balancer hand PostgreSQL. (One
  // engine serialises its own writes, so one replica alone takes as many single-article writes
  // per second as one write's latency allows; batches go through POST /v1/articles:batch.)
  const writers = await Promise.all(
    Array.from({ length: followWriters }, (_, n) =>
      PostgresReplicaStore.open({ databaseUrl, dataDir: join(workDir, `${name}-writer-${n}`), logger: silentLogger() }),
    ),
  );
  // 100 articles/s: one write of `articlesPerWrite` articles every 10 * articlesPerWrite ms.
  const writes = Math.round((plan.followSeconds * 100) / articlesPerWrite);
  const writeLatencies: number[] = [];
  const started = performance.now();
  const inFlight: Promise<void>[] = [];
  for (let n = 0; n < writes; n++) {
    const wait = started + n * 10 * articlesPerWrite - performance.now();
    if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
    const labels = Array.from({ length: articlesPerWrite }, (_, offset) => firstLabel + n * articlesPerWrite + offset);
    const writeStarted = performance.now();
    inFlight.push(
      writers[n % followWriters]!.writeArticles(labels.map(writeOf), defaultModelId).then(() => {
        writeLatencies.push(performance.now() - writeStarted);
        // Lag counts from the acknowledgement: what a client of the writing replica has been told.
        const startedAt = performance.timeOrigin + performance.now();
        for (const label of labels) follower.send({ type: "written", id: syntheticArticleId(label), startedAt });
      }),
    );
  }
  await Promise.all(inFlight);
  const seconds = (performance.now() - started) / 1000;
  follower.send({ type: "done" });
  const { lagsMs, missing } = await nextMessage("lags");
  await Promise.all(writers.map((writer) => writer.end()));
  return {
    writes,
    articlesPerWrite,
    writers: followWriters,
    writesPerSecond: Math.round(writes / seconds),
    articlesPerSecond: Math.round((writes * articlesPerWrite) / seconds),
    missing,
    lag: summariseLatencies(lagsMs),
    writeLatency: summariseLatencies(writeLatencies),
  };
}

const workDir = mkdtempSync(join(tmpdir(), "kindred-bench-replicas-"));
const cluster = await startPostgresCluster({ durable: true });
const results: Record<string, unknown> = {
  startedAt: new Date().toISOString(),
  mode: quick ? "quick" : "full",
  machine: describeMachine(),
  loadAverage: { start: readLoadAverage() },
};
try {
  const databaseUrl = await createDatabase(cluster.baseUrl, "bench");
  const sqliteDir = join(workDir, "sqlite");
  const replicaDir = join(workDir, "replica");

  logProgress(`batch writes: ${plan.articles} articles in batches of ${batchSize}, SQLite then PostgreSQL`);
  const sqliteStore = SqliteArticleStore.open(sqliteDir);
  const sqliteWrites = await measureWrites(sqliteStore);
  sqliteStore.close();
  const replicaStore = await PostgresReplicaStore.open({ databaseUrl, dataDir: replicaDir, logger: silentLogger() });
  const postgresWrites = await measureWrites(replicaStore);
  await replicaStore.end();
  results.batchWrites = {
    sqlite: sqliteWrites,
    postgres: postgresWrites,
    ratio: roundTo(postgresWrites.perSecond / sqliteWrites.perSecond, 2),
    loadAverage: readLoadAverage(),
  };
  logProgress(`  SQLite ${sqliteWrites.perSecond}/s, PostgreSQL replica ${postgresWrites.perSecond}/s`);

  logProgress(`related-by-id: ${plan.queries} queries on the single node and on a replica`);
  const opened = [];
  for (const flags of [{ dataDir: sqliteDir }, { dataDir: replicaDir, databaseUrl }]) {
    opened.push(await openEngine(loadConfig({ flags: { ...flags, logLevel: "silent" }, env: {}, configFile: undefined }), silentLogger()));
  }
  const [sqliteLatency, replicaLatency] = measureRelated(opened.map((item) => item.engine));
  for (const item of opened) await item.close();
  const related = { sqlite: sqliteLatency, postgresReplica: replicaLatency };
  results.relatedById = { ...related, loadAverage: readLoadAverage() };
  logProgress(`  ${JSON.stringify(related)}`);

  logProgress(`follow lag: ${plan.followSeconds} s at ~100 writes/s through one replica, seen by another process`);
  // Single-article writes (each its own transaction), then the same 100 articles/s in writes of 5.
  results.followLag = { ...(await measureFollowLag(databaseUrl, workDir, 1, plan.articles + 1)), loadAverage: readLoadAverage() };
  logProgress(`  ${JSON.stringify(results.followLag)}`);
  results.followLagBatched = {
    ...(await measureFollowLag(databaseUrl, workDir, 5, plan.articles + 1 + plan.followSeconds * 100)),
    loadAverage: readLoadAverage(),
  };
  logProgress(`  ${JSON.stringify(results.followLagBatched)}`);
} finally {
  cluster.stop();
  rmSync(workDir, { recursive: true, force: true });
}
(results.loadAverage as Record<string, number>).end = readLoadAverage();
const outPath = values.out ?? new URL(quick ? "./tmp/replicas-results-quick.json" : "./replicas-results.json", import.meta.url).pathname;
mkdirSync(dirname(outPath), { recursive: true });
writeFileSync(outPath, `${JSON.stringify(results, null, 2)}\n`);
process.stdout.write(`${JSON.stringify(results, null, 2)}\n`);
