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
 * 2. Follow lag under ~100 writes/s: four replica stores in this process write one article
 *    each every 40 ms; a second process, a replica engine following the change log
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

async function measureFollowLag(databaseUrl: string, workDir: string) {
  const follower = fork(new URL("./support/replica-follower.ts", import.meta.url).pathname, [join(workDir, "follower"), databaseUrl], {
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
  // Writers as replicas taking writes: each writes one article at a time, as an engine does
  // (its writes are serialised), on a schedule that adds up to ~100 writes/s.
  const writers = await Promise.all(
    Array.from({ length: followWriters }, (_, n) => PostgresReplicaStore.open({ databaseUrl, dataDir: join(workDir, `writer-${n}`), logger: silentLogger() })),
  );
  const writes = plan.followSeconds * 100;
  const writeLatencies: number[] = [];
  const started = performance.now();
  await Promise.all(
    writers.map(async (writer, w) => {
      for (let n = w; n < writes; n += followWriters) {
        const wait = started + n * 10 - performance.now();
        if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
        const label = plan.articles + 1 + n;
        const writeStarted = performance.now();
        await writer.writeArticles([writeOf(label)], defaultModelId);
        writeLatencies.push(performance.now() - writeStarted);
        // Lag counts from the acknowledgement: what a client of the writing replica has been told.
        follower.send({ type: "written", id: syntheticArticleId(label), startedAt: performance.timeOrigin + performance.now() });
      }
    }),
  );
  const rate = writes / ((performance.now() - started) / 1000);
  follower.send({ type: "done" });
  const { lagsMs, missing } = await nextMessage("lags");
  await Promise.all(writers.map((writer) => writer.end()));
  return {
    writes,
    writers: followWriters,
    writesPerSecond: Math.round(rate),
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
  results.followLag = { ...(await measureFollowLag(databaseUrl, workDir)), loadAverage: readLoadAverage() };
  logProgress(`  ${JSON.stringify(results.followLag)}`);
} finally {
  cluster.stop();
  rmSync(workDir, { recursive: true, force: true });
}
(results.loadAverage as Record<string, number>).end = readLoadAverage();
const outPath = values.out ?? new URL(quick ? "./tmp/replicas-results-quick.json" : "./replicas-results.json", import.meta.url).pathname;
mkdirSync(dirname(outPath), { recursive: true });
writeFileSync(outPath, `${JSON.stringify(results, null, 2)}\n`);
process.stdout.write(`${JSON.stringify(results, null, 2)}\n`);
