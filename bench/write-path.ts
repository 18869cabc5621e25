/**
 * The write path of issue 5, measured on the real server with the bundled model:
 *
 *  1. write throughput through `POST /v1/articles:batch` (articles/s): new articles (embedded),
 *     the same batches again (unchanged: hash check only), and a metadata-only change (no model);
 *  2. time for a change to show in related lists: a PUT of a newer version of the first article
 *     in a related list (already cached), from sending it until the list shows it in that
 *     article's place; the same for a DELETE; and for a write by another process (`kindred
 *     index` beside `kindred serve`);
 *  3. graph compaction at the demo size (10,514 articles, 10% deleted): time in the worker,
 *     time on the event loop, and query latency while it runs.
 *
 *   npx tsx bench/write-path.ts [--articles N] [--batch 500] [--changes 30] [--json FILE] [--compact-from DIR]
 *
 * By default all 10,514 demo articles go through the batch endpoint and the compaction runs on
 * the index that made; `--compact-from DIR` times it on (a copy of) an existing data directory.
 *
 * Prints a table and writes the figures as JSON (default bench/write-path-results.json).
 */
import { cpSync, createReadStream, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { monitorEventLoopDelay } from "node:perf_hooks";
import { createInterface } from "node:readline";
import { parseArgs } from "node:util";
import { createGunzip } from "node:zlib";
import { loadConfig } from "../src/config/config.ts";
import { noFilters } from "../src/core/related/related-filters.ts";
import { openEngine } from "../src/engine/open-engine.ts";
import { silentLogger } from "../src/log/logger.ts";
import { type RunningServer, repoRoot, runKindred, startKindredServer } from "./support/kindred-process.ts";
import { type LatencySummary, roundTo, summariseLatencies } from "./support/latency-stats.ts";
import { describeMachine, readLoadAverage } from "./support/machine-info.ts";
import { logProgress } from "./support/progress-log.ts";

const demoCorpus = join(repoRoot, "data/wcep-2025-2026.jsonl.gz");
const writerKey = "bench-writer-key-0123456789abcdef";

interface WireArticle {
  id: string;
  title: string;
  text: string;
  url: string;
  topics: string[];
  published_at: string;
}

export interface WritePathFigures {
  machine: ReturnType<typeof describeMachine>;
  embedWorkers: string;
  batch: { articles: number; batchSize: number; createdPerSecond: number; unchangedPerSecond: number; metadataPerSecond: number; loadAverage: number };
  freshness: { putAck: LatencySummary; putVisible: LatencySummary; deleteVisible: LatencySummary; externalWriterVisibleMs: number[] };
  compaction: {
    articles: number;
    deleted: number;
    buildMs: number;
    swapMs: number;
    totalMs: number;
    queryBefore: LatencySummary;
    queryDuring: LatencySummary;
    maxEventLoopDelayMs: number;
  };
}

async function readDemoArticles(limit: number): Promise<WireArticle[]> {
  const articles: WireArticle[] = [];
  for await (const line of createInterface({ input: createReadStream(demoCorpus).pipe(createGunzip()), crlfDelay: Infinity })) {
    if (line.trim() === "") continue;
    const { id, title, text, url, topics, published_at } = JSON.parse(line) as WireArticle;
    articles.push({ id, title, text, url, topics, published_at });
    if (articles.length >= limit) break;
  }
  return articles;
}

function client(server: RunningServer) {
  return async (method: string, path: string, body?: unknown) => {
    const response = await fetch(`${server.baseUrl}${path}`, {
      method,
      headers: { authorization: `Bearer ${writerKey}`, ...(body === undefined ? {} : { "content-type": "application/json" }) },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const text = await response.text();
    if (response.status >= 400) throw new Error(`${method} ${path}: ${response.status} ${text}`);
    return text === "" ? null : (JSON.parse(text) as Record<string, any>);
  };
}

/** Sends every article in batches, one request at a time; articles per second of wall time. */
async function sendBatches(
  call: ReturnType<typeof client>,
  articles: readonly WireArticle[],
  batchSize: number,
  expect: "created" | "updated" | "unchanged",
): Promise<number> {
  const started = performance.now();
  for (let start = 0; start < articles.length; start += batchSize) {
    const result = await call("POST", "/v1/articles:batch?wait=true", { articles: articles.slice(start, start + batchSize) });
    const count = Math.min(batchSize, articles.length - start);
    if (result![expect] !== count) throw new Error(`expected ${count} ${expect}, got ${JSON.stringify({ ...result, results: undefined })}`);
    if (expect === "created")
      logProgress(`  ${start + count} / ${articles.length} written (${((start + count) / ((performance.now() - started) / 1000)).toFixed(1)} articles/s)`);
  }
  return roundTo(articles.length / ((performance.now() - started) / 1000), 1);
}

async function measureBatchThroughput(call: ReturnType<typeof client>, articles: WireArticle[], batchSize: number) {
  const loadBefore = readLoadAverage();
  // Warm-up: the first write starts the embedding workers (model load), which is not throughput.
  await call("PUT", "/v1/articles/bench-warm-up?wait=true", { title: "Warm-up article" });
  logProgress(`batch throughput: ${articles.length} new articles in batches of ${batchSize}`);
  const createdPerSecond = await sendBatches(call, articles, batchSize, "created");
  logProgress("batch throughput: the same articles again (unchanged)");
  const unchangedPerSecond = await sendBatches(call, articles, batchSize, "unchanged");
  logProgress("batch throughput: a topic added to each (metadata only)");
  const retagged = articles.map((article) => ({ ...article, topics: [...article.topics, "bench retag"] }));
  const metadataPerSecond = await sendBatches(call, retagged, batchSize, "updated");
  return {
    articles: articles.length,
    batchSize,
    createdPerSecond,
    unchangedPerSecond,
    metadataPerSecond,
    loadAverage: roundTo((loadBefore + readLoadAverage()) / 2, 2),
  };
}

/** Polls a related list until `done` says the change shows; milliseconds since `sentAt`. */
async function waitUntil(call: ReturnType<typeof client>, path: string, done: (ids: string[]) => boolean, sentAt: number): Promise<number> {
  for (;;) {
    const ids = (await call("GET", path))!.results.map((result: { id: string }) => result.id);
    if (done(ids)) return performance.now() - sentAt;
    if (performance.now() - sentAt > 10_000) throw new Error(`${path}: the change did not show within 10 s`);
  }
}

/**
 * Caches the related list at `path` and returns a newer version of its first result, as `id`:
 * folded with that result, it takes its place (a group shows its newest copy). A copy of the
 * list's own article would never show, being a copy of the article the list is for.
 */
async function newerVersionOfFirstResult(
  call: ReturnType<typeof client>,
  path: string,
  byId: ReadonlyMap<string, WireArticle>,
  id: string,
): Promise<WireArticle> {
  const listed = byId.get((await call("GET", path))!.results[0].id as string)!;
  return { ...listed, id, title: `Update: ${listed.title}`, published_at: "2026-12-31" };
}

async function measureFreshness(call: ReturnType<typeof client>, articles: WireArticle[], changes: number, dataDir: string) {
  const ack: number[] = [];
  const visible: number[] = [];
  const gone: number[] = [];
  const byId = new Map(articles.map((article) => [article.id, article]));
  logProgress(`freshness: ${changes} PUTs of a newer version of a listed article, and DELETEs, each against a cached related list`);
  for (let n = 0; n < changes; n++) {
    const base = articles[(n * 97) % articles.length]!;
    const path = `/v1/articles/${encodeURIComponent(base.id)}/related?k=10`;
    const id = `bench-fresh-${n}`;
    const update = await newerVersionOfFirstResult(call, path, byId, id);
    const sentAt = performance.now();
    await call("PUT", `/v1/articles/${id}?wait=true`, update);
    ack.push(performance.now() - sentAt);
    visible.push(await waitUntil(call, path, (ids) => ids.includes(id), sentAt));
    const deletedAt = performance.now();
    await call("DELETE", `/v1/articles/${id}?wait=true`);
    gone.push(await waitUntil(call, path, (ids) => !ids.includes(id), deletedAt));
  }
  logProgress("freshness: a write by another process (kindred index) while serving");
  const external: number[] = [];
  for (let n = 0; n < 3; n++) {
    const base = articles[(n * 131 + 7) % articles.length]!;
    const path = `/v1/articles/${encodeURIComponent(base.id)}/related?k=10`;
    const id = `bench-external-${n}`;
    const file = join(dataDir, "..", `external-${n}.jsonl`);
    writeFileSync(file, `${JSON.stringify(await newerVersionOfFirstResult(call, path, byId, id))}\n`);
    const run = await runKindred(["index", file, "--data-dir", dataDir, "--log-level", "warn", "--workers", "1"]);
    if (run.exitCode !== 0) throw new Error(`kindred index failed: ${run.stderr}`);
    // From the moment the writer exited (its commit is before that): the server's sync is every second.
    external.push(roundTo(await waitUntil(call, path, (ids) => ids.includes(id), performance.now()), 1));
  }
  return {
    putAck: summariseLatencies(ack),
    putVisible: summariseLatencies(visible),
    deleteVisible: summariseLatencies(gone),
    externalWriterVisibleMs: external,
  };
}

async function measureCompaction(sourceDir: string) {
  const dataDir = join(mkdtempSync(join(tmpdir(), "kindred-bench-compact-")), "index");
  cpSync(sourceDir, dataDir, { recursive: true });
  try {
    // Thresholds out of reach: the compaction below is started by hand, and timed.
    const config = loadConfig({ flags: { dataDir, logLevel: "silent", compactMinDeleted: 1_000_000_000 }, env: {}, configFile: undefined });
    const { engine, close } = await openEngine(config, silentLogger());
    try {
      const ids = engine.listIds();
      const victims = ids.filter((_, index) => index % 10 === 3);
      await engine.deleteArticles(victims);
      const survivors = ids.filter((_, index) => index % 10 !== 3);
      const query = (n: number) => {
        const started = performance.now();
        engine.findRelatedToArticle(survivors[(n * 7919) % survivors.length]!, { k: 10, filters: noFilters }, { cache: false });
        return performance.now() - started;
      };
      const before = Array.from({ length: 500 }, (_, n) => query(n));
      logProgress(`compaction: ${engine.graphStats().live} live, ${engine.graphStats().tombstones} tombstones; rebuilding in the background`);
      const delay = monitorEventLoopDelay({ resolution: 1 });
      delay.enable();
      const running = engine.compactGraph();
      const during: number[] = [];
      let finished = false;
      void running.finally(() => (finished = true));
      for (let n = 0; !finished; n++) {
        during.push(query(n));
        await new Promise((resolve) => setTimeout(resolve, 2));
      }
      const report = await running;
      delay.disable();
      if (report === null) throw new Error("compaction did not complete");
      logProgress(
        `  compaction: ${(report.totalMs / 1000).toFixed(2)} s (worker ${(report.buildMs / 1000).toFixed(2)} s, swap ${report.swapMs.toFixed(0)} ms)`,
      );
      return {
        articles: ids.length,
        deleted: victims.length,
        buildMs: Math.round(report.buildMs),
        swapMs: Math.round(report.swapMs),
        totalMs: Math.round(report.totalMs),
        queryBefore: summariseLatencies(before),
        queryDuring: summariseLatencies(during),
        maxEventLoopDelayMs: roundTo(delay.max / 1e6, 1),
      };
    } finally {
      await close();
    }
  } finally {
    rmSync(join(dataDir, ".."), { recursive: true, force: true });
  }
}

async function main() {
  const { values } = parseArgs({
    options: {
      articles: { type: "string" },
      batch: { type: "string" },
      changes: { type: "string" },
      json: { type: "string" },
      "compact-from": { type: "string" },
    },
  });
  const articles = await readDemoArticles(values.articles === undefined ? Infinity : Number(values.articles));
  const batchSize = Number(values.batch ?? 500);
  const root = mkdtempSync(join(tmpdir(), "kindred-bench-write-"));
  const dataDir = join(root, "index");
  const embedWorkers = process.env.KINDRED_EMBED_WORKERS ?? "default (defaultEmbedWorkers: cores - 1 for the bundled model)";
  const server = await startKindredServer(dataDir, {
    env: {
      KINDRED_API_KEYS: `bench:write:${writerKey}`,
      ...(process.env.KINDRED_EMBED_WORKERS === undefined ? {} : { KINDRED_EMBED_WORKERS: process.env.KINDRED_EMBED_WORKERS }),
    },
  });
  let figures: WritePathFigures;
  try {
    const call = client(server);
    const batch = await measureBatchThroughput(call, articles, batchSize);
    const freshness = await measureFreshness(call, articles, Number(values.changes ?? 30), dataDir);
    await server.stop(); // saves the graph
    const compaction = await measureCompaction(values["compact-from"] ?? dataDir);
    figures = { machine: describeMachine(), embedWorkers, batch, freshness, compaction };
  } finally {
    await server.stop();
    rmSync(root, { recursive: true, force: true });
  }
  const output = values.json ?? join(repoRoot, "bench/write-path-results.json");
  writeFileSync(output, `${JSON.stringify({ measuredAt: new Date().toISOString(), ...figures }, null, 2)}\n`);
  const { batch, freshness, compaction } = figures;
  const ms = (summary: LatencySummary) => `p50 ${summary.p50Ms.toFixed(1)} ms, p99 ${summary.p99Ms.toFixed(1)} ms`;
  process.stdout.write(
    `${[
      `| figure | value |`,
      `|---|---|`,
      `| batch writes, new articles (embedded), ${batch.articles} in batches of ${batch.batchSize} | ${batch.createdPerSecond} articles/s |`,
      `| batch writes, the same again (unchanged, no model) | ${batch.unchangedPerSecond} articles/s |`,
      `| batch writes, metadata only (no model) | ${batch.metadataPerSecond} articles/s |`,
      `| PUT acknowledged (committed, indexes updated) | ${ms(freshness.putAck)} |`,
      `| PUT to visible in the (cached) related list | ${ms(freshness.putVisible)} |`,
      `| DELETE to gone from the related list | ${ms(freshness.deleteVisible)} |`,
      `| kindred index (another process) exit to visible in serve | ${freshness.externalWriterVisibleMs.join(", ")} ms |`,
      `| compaction of ${compaction.articles} articles, ${compaction.deleted} deleted: total | ${(compaction.totalMs / 1000).toFixed(2)} s |`,
      `| of which in the worker / on the event loop | ${(compaction.buildMs / 1000).toFixed(2)} s / ${compaction.swapMs} ms |`,
      `| related-by-id before / during compaction | ${ms(compaction.queryBefore)} / ${ms(compaction.queryDuring)} |`,
      `| longest event-loop stall during compaction | ${compaction.maxEventLoopDelayMs} ms |`,
      `(load average ${batch.loadAverage} during batch writes on ${figures.machine.cpus} cores; JSON: ${output})`,
    ].join("\n")}\n`,
  );
}

await main();
