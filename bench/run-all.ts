/**
 * `npm run bench`: every speed figure of kindred beside its baseline, measured in one run,
 * written to bench/results.json and printed as the markdown tables the README holds.
 *
 *   npm run bench                      # full run: demo corpus, 10k, 100k and 1M tiers (the 1M graph alone is most of an hour)
 *   npm run bench -- --skip-1m         # without the 1M-vector tier (section vectorSearch1m, kept from the last run)
 *   npm run bench -- --only vectorSearch1m   # just the 1M tier, at the product's graph parameters
 *   npm run bench -- --only vectorSearch1m --graph-dir DIR   # ...building its graph once into DIR, read from there on the next run
 *   npm run bench -- --quick           # CI: small sizes, checks every figure is produced (< 2 min)
 *   npm run bench -- --only http,coldStart   # re-measure some sections, keeping the others in the file
 *   npm run bench -- --only relatedLatency,http --demo-dir D --large-dir L   # on directories a `--keep` run left
 *
 * Progress (with the load average: the figures are wall-clock) goes to stderr.
 */
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { parseArgs } from "node:util";
import { measureColdStart } from "./cold-start.ts";
import { embeddingArguments, measureEmbedding } from "./embedding-ratio.ts";
import { fullArticleSets, measureFullArticleIndexing } from "./full-articles.ts";
import { measureHttp } from "./http-load.ts";
import { measureReindex, writeCorpusSlice } from "./reindex.ts";
import { measureRelatedLatency, type RelatedLatencyFigures } from "./related-latency.ts";
import { renderResultsMarkdown } from "./render-results.ts";
import { readArticleIds } from "./support/article-ids.ts";
import { type BenchResults, carriedSections, findMissingFigures, type SectionName, sectionNames } from "./support/bench-results.ts";
import { repoRoot } from "./support/kindred-process.ts";
import { describeMachine, readLoadAverage } from "./support/machine-info.ts";
import { checkOutOldCommit } from "./support/old-checkout.ts";
import { logProgress } from "./support/progress-log.ts";
import { prepareSyntheticDataDir } from "./support/synthetic-data-dir.ts";
import { measureDemoTier, measureSyntheticTier, syntheticTiers } from "./vector-search.ts";

const { values } = parseArgs({
  options: {
    quick: { type: "boolean", default: false },
    "skip-1m": { type: "boolean", default: false },
    only: { type: "string" },
    out: { type: "string" },
    keep: { type: "boolean", default: false },
    /** Full-article section: which eval sets (comma-separated; default giveme5w1h and bbc, or a 40-article slice with --quick). */
    "full-article-sets": { type: "string" },
    /** Full-article section: also index each set with this older commit's own code (e.g. 3adff60^1), as a second baseline. */
    "old-commit": { type: "string" },
    /**
     * An indexed demo corpus and a prepared synthetic directory (of the plan's size) to measure
     * the serving sections on, instead of indexing and preparing them again (a quarter of an
     * hour on 2 cores); not with the reindex section, which must index from scratch.
     */
    "demo-dir": { type: "string" },
    "large-dir": { type: "string" },
    /**
     * The 1M tier's graph is read from this directory when it holds one of the tier's parameters,
     * else built and written there (VectorTierSpec.graphDir): a query-time change is measured
     * without the build's most of an hour; the section then reports the read, not a build.
     */
    "graph-dir": { type: "string" },
  },
  strict: true,
});
const quick = values.quick!;

/** Sizes of a run: the full one the README reports, and a small one that only proves every figure appears. */
const plan = quick
  ? {
      demoSlice: 60,
      syntheticTiers: ["2k"],
      largeArticles: 2_000,
      vectorQueries: 20,
      latencyQueries: 200,
      coldStartRuns: 1,
      httpSeconds: 1,
      httpConnections: 10,
    }
  : {
      demoSlice: null,
      syntheticTiers: ["10k", "100k"],
      largeArticles: 100_000,
      vectorQueries: 200,
      latencyQueries: 5_000,
      coldStartRuns: 3,
      httpSeconds: 10,
      httpConnections: 10,
    };

const only = values.only === undefined ? null : new Set(values.only.split(","));
for (const name of only ?? [])
  if (!sectionNames.includes(name as SectionName)) throw new Error(`Unknown section "${name}"; known: ${sectionNames.join(", ")}.`);
// The 1M tier is its own section so that skipping it keeps its last figures.
const skipped: SectionName[] = quick || values["skip-1m"] ? ["vectorSearch1m"] : [];
const wanted = (name: SectionName) => (only === null || only.has(name)) && !skipped.includes(name);
if (values["demo-dir"] !== undefined && wanted("reindex"))
  throw new Error("--demo-dir skips the demo index the reindex section measures; leave reindex out (--only).");

const outPath = values.out ?? join(repoRoot, quick ? "bench/tmp/results-quick.json" : "bench/results.json");
const demoCorpusPath = join(repoRoot, "data/wcep-2025-2026.jsonl.gz");
const workDir = mkdtempSync(join(tmpdir(), "kindred-bench-"));
const startedMs = performance.now();
// With --only or --skip-1m, the other sections keep their figures from the last run written to the same file.
const previous = (only !== null || skipped.length > 0) && existsSync(outPath) ? (JSON.parse(readFileSync(outPath, "utf8")) as BenchResults) : null;
// Files from before the 1M tier had its own section hold it among the other tiers, measured with
// efConstruction 64; the section replaces it.
if (previous?.sections.vectorSearch !== undefined) previous.sections.vectorSearch = previous.sections.vectorSearch.filter((tier) => tier.tier !== "1m");
const results: BenchResults = {
  mode: quick ? "quick" : "full",
  startedAt: new Date().toISOString(),
  elapsedS: 0,
  commit: describeCommit(),
  machine: describeMachine(),
  loadAverage: { start: readLoadAverage(), end: 0 },
  sections: { ...(previous?.sections ?? {}) },
  errors: Object.fromEntries(Object.entries(previous?.errors ?? {}).filter(([name]) => !wanted(name as SectionName))),
  ...(previous === null ? {} : { carried: carriedSections(previous, wanted) }),
};

/** Runs one section; a failure is recorded and the others still run. */
async function runSection<T>(name: string, work: () => Promise<T>): Promise<T | undefined> {
  logProgress(`== ${name}`);
  try {
    return await work();
  } catch (error) {
    results.errors[name] = (error as Error).stack ?? String(error);
    logProgress(`${name} failed: ${(error as Error).message}`);
    return undefined;
  }
}

try {
  if (wanted("embedding")) results.sections.embedding = await runSection("embedding", () => measureEmbedding(embeddingArguments(quick)));

  if (wanted("fullArticles")) {
    results.sections.fullArticles = await runSection("fullArticles", async () => {
      const oldCheckout = values["old-commit"] === undefined ? undefined : await checkOutOldCommit(values["old-commit"], workDir);
      try {
        return await measureFullArticleIndexing(fullArticleSets(quick, values["full-article-sets"]?.split(",")), workDir, oldCheckout);
      } finally {
        oldCheckout?.remove();
      }
    });
  }

  // The demo index the re-index builds is what the demo-corpus figures below query.
  const demoDir = values["demo-dir"] ?? join(workDir, "demo");
  const needsDemo = values["demo-dir"] === undefined && ["reindex", "relatedLatency", "vectorSearch", "http"].some((name) => wanted(name as SectionName));
  const reindex = needsDemo
    ? await runSection("reindex", async () => {
        const input = plan.demoSlice === null ? demoCorpusPath : await writeCorpusSlice(demoCorpusPath, plan.demoSlice, join(workDir, "demo-slice.jsonl"));
        return measureReindex(input, demoDir);
      })
    : undefined;
  if (wanted("reindex")) results.sections.reindex = reindex;
  const demoIds = reindex === undefined && values["demo-dir"] === undefined ? null : readArticleIds(demoDir);
  const demoOrFail = () => {
    if (demoIds === null) throw new Error("no demo index (the re-index failed)");
    return demoIds;
  };

  const relatedLatency: RelatedLatencyFigures[] | undefined = wanted("relatedLatency") ? [] : undefined;
  if (relatedLatency !== undefined) {
    const demo = await runSection("relatedLatency", async () => measureRelatedLatency(demoDir, "demo", demoOrFail(), plan.latencyQueries));
    if (demo !== undefined) relatedLatency.push(demo);
  }

  if (wanted("vectorSearch")) {
    const tiers = [];
    const demoTier = await runSection("vectorSearch", async () => {
      demoOrFail();
      return measureDemoTier(demoDir, plan.vectorQueries);
    });
    if (demoTier !== undefined) tiers.push(demoTier);
    for (const name of plan.syntheticTiers) {
      const tier = await runSection("vectorSearch", async () => measureSyntheticTier({ ...syntheticTiers[name]!, queries: plan.vectorQueries }));
      if (tier !== undefined) tiers.push(tier);
    }
    results.sections.vectorSearch = tiers;
  }

  // Fewer queries than the smaller tiers: each exact reference scans a million vectors.
  if (wanted("vectorSearch1m"))
    results.sections.vectorSearch1m = await runSection("vectorSearch1m", async () =>
      measureSyntheticTier({
        ...syntheticTiers["1m"]!,
        queries: 100,
        ...(values["graph-dir"] === undefined ? {} : { graphDir: values["graph-dir"] }),
      }),
    );

  // A large synthetic data directory, written through the store port, for the serving figures.
  const needsLarge = wanted("coldStart") || wanted("http") || wanted("relatedLatency");
  const largeDir = values["large-dir"] ?? join(workDir, `synthetic-${plan.largeArticles}`);
  const large = needsLarge
    ? values["large-dir"] !== undefined
      ? { dataDir: largeDir }
      : await runSection("prepare", async () => {
          logProgress(`preparing ${plan.largeArticles} synthetic articles in ${largeDir}`);
          return prepareSyntheticDataDir(largeDir, plan.largeArticles);
        })
    : undefined;
  const largeIds = large === undefined ? null : readArticleIds(largeDir);
  const largeOrFail = () => {
    if (largeIds === null) throw new Error("no synthetic data directory (its preparation failed)");
    return largeIds;
  };
  const largeName = `${plan.largeArticles / 1000}k synthetic`;

  if (wanted("coldStart")) {
    results.sections.coldStart = await runSection("coldStart", async () => {
      const emptyDir = join(workDir, "empty");
      mkdirSync(emptyDir);
      return measureColdStart({ emptyDir, fullDir: largeDir, articles: largeOrFail().length }, plan.coldStartRuns);
    });
  }

  if (wanted("http")) {
    const corpora = [];
    const options = { durationS: plan.httpSeconds, connections: plan.httpConnections };
    const demo = await runSection("http", async () => measureHttp(demoDir, "demo", demoOrFail(), options));
    if (demo !== undefined) corpora.push(demo);
    const synthetic = await runSection("http", async () => measureHttp(largeDir, largeName, largeOrFail(), options));
    if (synthetic !== undefined) corpora.push(synthetic);
    results.sections.http = corpora;
  }

  if (relatedLatency !== undefined) {
    const synthetic = await runSection("relatedLatency", async () => measureRelatedLatency(largeDir, largeName, largeOrFail(), plan.latencyQueries));
    if (synthetic !== undefined) relatedLatency.push(synthetic);
    results.sections.relatedLatency = relatedLatency;
  }
} finally {
  if (!values.keep) rmSync(workDir, { recursive: true, force: true });
  else logProgress(`kept the data directories in ${workDir}`);
}

results.elapsedS = Math.round((performance.now() - startedMs) / 1000);
results.loadAverage.end = readLoadAverage();
mkdirSync(dirname(outPath), { recursive: true });
writeFileSync(outPath, `${JSON.stringify(results, null, 2)}\n`);
process.stdout.write(renderResultsMarkdown(results));
const missing = findMissingFigures(results, skipped);
logProgress(`wrote ${outPath} in ${results.elapsedS} s`);
if (missing.length > 0) {
  process.stderr.write(`\nMissing figures:\n${missing.map((line) => `  ${line}`).join("\n")}\n`);
  process.exitCode = 1;
}

function describeCommit(): string {
  try {
    const commit = execFileSync("git", ["rev-parse", "--short", "HEAD"], { cwd: repoRoot, encoding: "utf8" }).trim();
    const dirty = execFileSync("git", ["status", "--porcelain", "--untracked-files=no"], { cwd: repoRoot, encoding: "utf8" }).trim() !== "";
    return dirty ? `${commit}+changes` : commit;
  } catch {
    return "unknown";
  }
}
