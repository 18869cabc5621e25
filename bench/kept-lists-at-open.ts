/**
 * A start that must make every kept list (engine/keep-neighbourhood.ts): a new replica's empty
 * data directory, or an index saved before the lists existed. How long the index takes to open,
 * how long until the lists are made (in the background), and what a related list costs
 * meanwhile and after, in process (the related-list cache bypassed).
 *
 *   npx tsx bench/kept-lists-at-open.ts DATA_DIR              # in memory (the graph), on a copy without its document index file
 *   npx tsx bench/kept-lists-at-open.ts DATA_DIR --pgvector   # a pgvector-mode replica of DATA_DIR's articles (PGlite, slow to load: WebAssembly)
 *
 * Writes bench/kept-lists-at-open-results.json (or --out).
 */
import { cpSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { monitorEventLoopDelay } from "node:perf_hooks";
import { setImmediate as yieldToEventLoop } from "node:timers/promises";
import { parseArgs } from "node:util";
import pg from "pg";
import { loadConfig } from "../src/config/config.ts";
import { noFilters } from "../src/core/related/related-filters.ts";
import { documentIndexFileName } from "../src/engine/document-index-file.ts";
import { openEngine } from "../src/engine/open-engine.ts";
import { silentLogger } from "../src/log/logger.ts";
import { importSqliteStore } from "../src/store/postgres/import-sqlite-store.ts";
import { PostgresArticleLog } from "../src/store/postgres/postgres-article-log.ts";
import { migratePostgres } from "../src/store/postgres/postgres-migrations.ts";
import { SqliteArticleStore } from "../src/store/sqlite-article-store.ts";
import { startPgliteServer } from "../test/support/pglite-server.ts";
import { roundTo, summariseLatencies } from "./support/latency-stats.ts";
import { describeMachine, readLoadAverage } from "./support/machine-info.ts";
import { logProgress } from "./support/progress-log.ts";
import { createRandom } from "./support/synthetic-corpus.ts";

const { values, positionals } = parseArgs({
  options: { pgvector: { type: "boolean", default: false }, out: { type: "string" }, "settled-queries": { type: "string", default: "500" } },
  allowPositionals: true,
  strict: true,
});
const sourceDir = positionals[0];
if (sourceDir === undefined) {
  process.stderr.write("usage: npx tsx bench/kept-lists-at-open.ts DATA_DIR [--pgvector]\n");
  process.exit(2);
}
const scratch = mkdtempSync(join(tmpdir(), "kindred-kept-lists-"));
const dataDir = join(scratch, "data");
const results: Record<string, unknown> = {
  startedAt: new Date().toISOString(),
  source: sourceDir,
  mode: values.pgvector ? "pgvector" : "in memory",
  machine: describeMachine(),
};
let server: Awaited<ReturnType<typeof startPgliteServer>> | null = null;
try {
  let flags: Record<string, unknown> = { dataDir, logLevel: "silent", recallCheckQueries: 0 };
  if (values.pgvector) {
    // The articles, vectors and all, in PostgreSQL; the replica starts from an empty data directory.
    server = await startPgliteServer({ maxConnections: 2 });
    const pool = new pg.Pool({ connectionString: server.url, max: 1 });
    const source = SqliteArticleStore.open(sourceDir);
    try {
      logProgress(`importing ${sourceDir} into PGlite`);
      await migratePostgres(pool);
      await importSqliteStore(source, new PostgresArticleLog(pool));
    } finally {
      source.close();
      await pool.end();
    }
    flags = { ...flags, databaseUrl: server.url, vectorSearch: "pgvector", databasePoolSize: 1 };
  } else {
    logProgress(`copying ${sourceDir}`);
    cpSync(sourceDir, dataDir, { recursive: true });
    // Without the file the document index is rebuilt from the store, with no kept list.
    rmSync(join(dataDir, documentIndexFileName), { force: true });
  }
  results.loadAverageStart = readLoadAverage();
  logProgress("opening");
  const openStarted = performance.now();
  const { engine, close } = await openEngine(loadConfig({ flags, env: {}, configFile: undefined }), silentLogger());
  try {
    results.openSeconds = roundTo((performance.now() - openStarted) / 1000, 2);
    results.articles = engine.size();
    results.listsMissingAtOpen = engine.keptListsPending();
    logProgress(`open in ${results.openSeconds} s, ${results.listsMissingAtOpen} kept lists to make`);
    const ids = engine.listIds();
    const random = createRandom(11);
    const request = { k: 10, filters: noFilters };
    const readOne = async () => {
      const started = performance.now();
      await engine.findRelatedToArticleAsync(ids[Math.floor(random() * ids.length)]!, request, { cache: false });
      return performance.now() - started;
    };
    // Reads one after another while the lists are made, the event loop turning between them.
    const during: number[] = [];
    const loopDelay = monitorEventLoopDelay({ resolution: 5 });
    loopDelay.enable();
    const settled = engine.settled().then(() => performance.now());
    let settledAt: number | null = null;
    void settled.then((at) => (settledAt = at));
    while (settledAt === null) {
      during.push(await readOne());
      await yieldToEventLoop();
    }
    loopDelay.disable();
    results.settledSeconds = roundTo((settledAt - openStarted) / 1000, 2);
    results.readsWhileMaking = { ...summariseLatencies(during), maxMs: roundTo(Math.max(0, ...during), 2) };
    results.eventLoopDelayWhileMaking = { p99Ms: roundTo(loopDelay.percentile(99) / 1e6, 2), maxMs: roundTo(loopDelay.max / 1e6, 2) };
    logProgress(`lists made ${results.settledSeconds} s after the open began; ${during.length} reads meanwhile`);
    const after: number[] = [];
    for (let query = 0; query < Number(values["settled-queries"]); query++) after.push(await readOne());
    results.readsSettled = summariseLatencies(after);
  } finally {
    await close();
  }
  results.loadAverageEnd = readLoadAverage();
} finally {
  await server?.stop();
  rmSync(scratch, { recursive: true, force: true });
}
const out = values.out ?? new URL("./kept-lists-at-open-results.json", import.meta.url);
writeFileSync(out, `${JSON.stringify(results, null, 2)}\n`);
process.stdout.write(`${JSON.stringify(results, null, 2)}\n`);
