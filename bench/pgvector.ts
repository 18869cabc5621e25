/**
 * pgvector mode (issue 17): recall@10 of the HNSW search in PostgreSQL against the exact answer,
 * with and without a 10% topic filter, and its latency, through PGlite + pgvector served on
 * loopback (pglite-socket) and the real `pg` driver: the same SQL a real PostgreSQL with
 * pgvector runs, in WebAssembly (slower than a native server: read latency as an upper bound).
 *
 *   npx tsx bench/pgvector.ts                    # 100,000 synthetic 512-d articles (long: the HNSW build runs in WebAssembly)
 *   npx tsx bench/pgvector.ts --articles 10000   # a smaller tier
 *   npx tsx bench/pgvector.ts --quick            # 2,000 articles: checks every figure is produced
 *
 * The exact answer is pgvector's own full scan (the index turned off), cross-checked in
 * test/store/pgvector-index.test.ts against kindred's exact index. Writes
 * bench/pgvector-results.json (or --out).
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";
import { parseArgs } from "node:util";
import pg from "pg";
import { PgvectorIndex, pgvectorTableSql } from "../src/store/postgres/pgvector-index.ts";
import { startPgliteServer } from "../test/support/pglite-server.ts";
import { roundTo, summariseLatencies } from "./support/latency-stats.ts";
import { describeMachine, readLoadAverage } from "./support/machine-info.ts";
import { logProgress } from "./support/progress-log.ts";
import { SyntheticCorpus } from "./support/synthetic-corpus.ts";

const { values } = parseArgs({
  options: { quick: { type: "boolean", default: false }, articles: { type: "string" }, queries: { type: "string" }, out: { type: "string" } },
  strict: true,
});
const articles = Number(values.articles ?? (values.quick ? 2_000 : 100_000));
const queries = Number(values.queries ?? (values.quick ? 20 : 200));
const dimensions = 512;
const corpus = new SyntheticCorpus(articles, { dimensions, seed: 23 });
// The 10% filter: a topic one article in ten carries.
const hasRareTopic = (label: number) => label % 10 === 0;

const server = await startPgliteServer();
const pool = new pg.Pool({ connectionString: server.url, max: 1 });
const results: Record<string, unknown> = {
  startedAt: new Date().toISOString(),
  articles,
  queries,
  dimensions,
  machine: describeMachine(),
  loadAverage: { start: readLoadAverage() },
};
try {
  const parameters = { dimensions, m: 16, efConstruction: 200, efSearch: 128 };
  const index = await PgvectorIndex.prepare(pool, parameters);
  // Rows first, the HNSW index after (pgvector builds one faster over a loaded table than row by
  // row), with room for the whole graph in memory during the build.
  await pool.query("DROP INDEX kindred_article_vectors_hnsw");
  logProgress(`pgvector: inserting ${articles} vectors`);
  const loadStarted = performance.now();
  for (let first = 1; first <= articles; first += 1_000) {
    const batch = [];
    for (let label = first; label < Math.min(articles + 1, first + 1_000); label++) {
      batch.push({
        id: String(label),
        vector: corpus.fillVector(label, new Float32Array(dimensions)),
        publishedMs: null,
        topics: hasRareTopic(label) ? ["rare", "common"] : ["common"],
      });
    }
    await index.upsert(batch);
    if (first % 10_000 === 1) logProgress(`  ${first - 1 + batch.length} inserted`);
  }
  results.insertSeconds = roundTo((performance.now() - loadStarted) / 1000, 1);
  logProgress(`  building the HNSW index (m 16, ef_construction 200) over ${articles} rows`);
  const buildStarted = performance.now();
  await pool.query(`SET maintenance_work_mem = '1GB'; ${pgvectorTableSql(parameters)}`);
  results.indexBuildSeconds = roundTo((performance.now() - buildStarted) / 1000, 1);
  results.loadSeconds = roundTo((performance.now() - loadStarted) / 1000, 1);
  logProgress(`  index built in ${results.indexBuildSeconds} s`);
  for (const [name, filter] of [
    ["unfiltered", {}],
    ["filter10pct", { topics: ["rare"] }],
  ] as const) {
    const latencies: number[] = [];
    let found = 0;
    for (let q = 0; q < queries; q++) {
      // Queries: stored vectors' neighbourhoods (a related-by-id query), never the article itself.
      const label = 1 + Math.floor((q * 7919) % articles);
      const query = corpus.fillVector(label, new Float32Array(dimensions));
      const truth = new Set(
        (await index.search(query, 11, filter, { exact: true }))
          .map((hit) => hit.id)
          .filter((id) => id !== String(label))
          .slice(0, 10),
      );
      const started = performance.now();
      const hits = await index.search(query, 11, filter, { plan: "hnsw" });
      latencies.push(performance.now() - started);
      found += hits
        .filter((hit) => hit.id !== String(label))
        .slice(0, 10)
        .filter((hit) => truth.has(hit.id)).length;
    }
    results[name] = { recallAt10: roundTo(found / (queries * 10), 4), latency: summariseLatencies(latencies), loadAverage: readLoadAverage() };
    logProgress(`  ${name}: ${JSON.stringify(results[name])}`);
  }
} finally {
  await pool.end();
  await server.stop();
}
(results.loadAverage as Record<string, number>).end = readLoadAverage();
const outPath = values.out ?? new URL(values.quick ? "./tmp/pgvector-results-quick.json" : "./pgvector-results.json", import.meta.url).pathname;
mkdirSync(dirname(outPath), { recursive: true });
writeFileSync(outPath, `${JSON.stringify(results, null, 2)}\n`);
process.stdout.write(`${JSON.stringify(results, null, 2)}\n`);
