/**
 * Story-thread quality (issue 16): every article's thread (GET /v1/articles/{id}/story) against
 * the story labels of a labelled set, as B-cubed precision, recall and F1, with a sweep of the
 * same-story threshold. `--fit` also fits the same-story model's weights (logistic regression on
 * the candidate pairs) and prints them, for core/story/story-thread.ts.
 *
 *   npx tsx bench/story-threads.ts ../shared/eval/giveme5w1h.jsonl --data-dir /tmp/k-giveme5w1h
 *   npx tsx bench/story-threads.ts ../shared/eval/*.jsonl --data-dir-prefix /tmp/k- --fit
 *   npx tsx bench/story-threads.ts A.jsonl B.jsonl C.jsonl --data-dir-prefix /tmp/k- --fit --leave-one-out
 *
 * `--leave-one-out` also fits the model without each set in turn and measures it on that set
 * (at the model's threshold), so the table says whether the fitted weights generalise.
 *
 * A data directory is indexed from the file first (nothing is re-embedded when it already holds
 * it). Topics are never a signal here: in the labelled sets they are the labels.
 */
import { writeFileSync } from "node:fs";
import { basename } from "node:path";
import { parseArgs } from "node:util";
import { z } from "zod";
import { loadConfig } from "../src/config/config.ts";
import { type BCubed, bCubed } from "../src/core/eval/thread-metrics.ts";
import type { CatalogEntry } from "../src/core/related/catalog-entry.ts";
import { buildStoryThread, type StoryCandidate, type StoryThreadModel, storyThreadModel } from "../src/core/story/story-thread.ts";
import { findStoryCandidates } from "../src/engine/find-story.ts";
import { openEngine } from "../src/engine/open-engine.ts";
import { indexFiles } from "../src/indexer/index-files.ts";
import { readRecords } from "../src/ingest/read-records.ts";
import { createLogger } from "../src/log/logger.ts";

const { values, positionals } = parseArgs({
  options: {
    "data-dir": { type: "string" },
    "data-dir-prefix": { type: "string" },
    fit: { type: "boolean" },
    "leave-one-out": { type: "boolean" },
    json: { type: "string" },
  },
  allowPositionals: true,
});
if (positionals.length === 0) throw new Error("give one or more story-labelled files (../shared/eval/*.jsonl)");

const labelled = z.object({ id: z.union([z.string(), z.number()]).transform(String), story: z.string().min(1).nullish() });
interface Collected {
  file: string;
  storyOf: Map<string, string | null>;
  queries: { article: CatalogEntry; candidates: StoryCandidate[]; copies: CatalogEntry[] }[];
}

const logger = createLogger("warn");
const collected: Collected[] = [];
for (const file of positionals) {
  const name = basename(file).replace(/\.jsonl(\.gz)?$/, "");
  const dataDir = values["data-dir"] ?? `${values["data-dir-prefix"] ?? "/tmp/kindred-story-"}${name}`;
  const storyOf = new Map<string, string | null>();
  for await (const record of readRecords(file)) {
    const parsed = labelled.safeParse(record.value);
    if (parsed.success) storyOf.set(parsed.data.id, parsed.data.story ?? null);
  }
  const config = loadConfig({ flags: { dataDir, logLevel: "warn", relatedCacheEntries: 0 } });
  const { engine, close } = await openEngine(config, logger);
  try {
    await indexFiles(engine, [file]);
    const started = performance.now();
    const queries = [];
    for (const id of [...storyOf.keys()].filter((id) => engine.getEntry(id) !== undefined))
      queries.push(await findStoryCandidates(engine, id, { topicSignal: false }));
    process.stderr.write(`${name}: ${queries.length} articles, candidates in ${((performance.now() - started) / 1000).toFixed(1)} s\n`);
    // Gold stories count only what is indexed.
    for (const id of [...storyOf.keys()]) if (engine.getEntry(id) === undefined) storyOf.delete(id);
    collected.push({ file: name, storyOf, queries });
  } finally {
    await close();
  }
}

type Model = Readonly<StoryThreadModel>;
let model: Model = storyThreadModel;
if (values.fit) {
  model = fitModel(collected);
  process.stdout.write(`fitted model: ${JSON.stringify(model)}\n`);
}

const thresholds = [0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9];
const rows: { file: string; threshold: number; score: BCubed; meanThread: number }[] = [];
for (const { file, storyOf, queries } of collected) {
  for (const threshold of thresholds) {
    const threads = queries.map(({ article, candidates, copies }) => ({
      id: article.id,
      thread: buildStoryThread(article, candidates, { copies, sinceMs: null, threshold, model }).members.map((member) => member.entry.id),
    }));
    rows.push({ file, threshold, score: bCubed(threads, storyOf), meanThread: threads.reduce((sum, t) => sum + t.thread.length, 0) / threads.length });
  }
}
process.stdout.write(`\n| set | threshold | B-cubed precision | recall | F1 | mean thread length |\n|---|---:|---:|---:|---:|---:|\n`);
for (const row of rows) {
  const mark = row.threshold === model.threshold ? " **" : "";
  process.stdout.write(
    `| ${row.file}${mark} | ${row.threshold} | ${row.score.precision.toFixed(3)} | ${row.score.recall.toFixed(3)} | ${row.score.f1.toFixed(3)} | ${row.meanThread.toFixed(1)} |\n`,
  );
}
if (values["leave-one-out"]) {
  process.stdout.write(`\n| set (left out of the fit) | threshold | B-cubed precision | recall | F1 |\n|---|---:|---:|---:|---:|\n`);
  for (const heldOut of collected) {
    const fitted = { ...fitModel(collected.filter((set) => set !== heldOut)), threshold: model.threshold };
    const threads = heldOut.queries.map(({ article, candidates, copies }) => ({
      id: article.id,
      thread: buildStoryThread(article, candidates, { copies, sinceMs: null, threshold: fitted.threshold, model: fitted }).members.map(
        (member) => member.entry.id,
      ),
    }));
    const score = bCubed(threads, heldOut.storyOf);
    process.stdout.write(`| ${heldOut.file} | ${fitted.threshold} | ${score.precision.toFixed(3)} | ${score.recall.toFixed(3)} | ${score.f1.toFixed(3)} |\n`);
  }
}
if (values.json) writeFileSync(values.json, JSON.stringify({ model, rows }, null, 2));

/**
 * Logistic regression (Newton's method) of "same story" on the pair features, each set weighing
 * the same however many pairs it has, so the large sets do not decide alone.
 */
function fitModel(sets: readonly Collected[]): Model {
  const rowsOf: { x: number[]; y: number; w: number }[] = [];
  for (const { storyOf, queries } of sets) {
    const pairs = queries.reduce((sum, query) => sum + query.candidates.length, 0);
    for (const { article, candidates } of queries) {
      const story = storyOf.get(article.id) ?? null;
      for (const candidate of candidates) {
        const days =
          article.publishedMs === null || candidate.entry.publishedMs === null ? null : (candidate.entry.publishedMs - article.publishedMs) / 86_400_000;
        const proximity = days === null ? storyThreadModel.undatedProximity : Math.exp(-Math.abs(days) / storyThreadModel.proximityDays);
        rowsOf.push({
          x: [1, candidate.cosine, candidate.dense, candidate.lexical, proximity],
          y: story !== null && storyOf.get(candidate.entry.id) === story ? 1 : 0,
          w: 1 / pairs,
        });
      }
    }
  }
  let beta = [0, 0, 0, 0, 0];
  for (let iteration = 0; iteration < 25; iteration++) {
    const gradient = [0, 0, 0, 0, 0];
    const hessian = beta.map(() => [0, 0, 0, 0, 0]);
    for (const { x, y, w } of rowsOf) {
      const p = 1 / (1 + Math.exp(-x.reduce((sum, value, i) => sum + value * beta[i]!, 0)));
      for (let i = 0; i < 5; i++) {
        gradient[i]! += w * (y - p) * x[i]!;
        for (let j = 0; j < 5; j++) hessian[i]![j]! += w * p * (1 - p) * x[i]! * x[j]!;
      }
    }
    for (let i = 0; i < 5; i++) hessian[i]![i]! += 1e-6; // a touch of ridge keeps the solve stable
    beta = beta.map((value, i) => value + solve(hessian, gradient)[i]!);
  }
  const round = (value: number) => Math.round(value * 100) / 100;
  return {
    ...storyThreadModel,
    intercept: round(beta[0]!),
    cosine: round(beta[1]!),
    dense: round(beta[2]!),
    lexical: round(beta[3]!),
    proximity: round(beta[4]!),
  };
}

function solve(a: number[][], b: number[]): number[] {
  const n = b.length;
  const m = a.map((row, i) => [...row, b[i]!]);
  for (let col = 0; col < n; col++) {
    let pivot = col;
    for (let row = col + 1; row < n; row++) if (Math.abs(m[row]![col]!) > Math.abs(m[pivot]![col]!)) pivot = row;
    [m[col], m[pivot]] = [m[pivot]!, m[col]!];
    for (let row = 0; row < n; row++) {
      if (row === col) continue;
      const factor = m[row]![col]! / m[col]![col]!;
      for (let k = col; k <= n; k++) m[row]![k]! -= factor * m[col]![k]!;
    }
  }
  return m.map((row, i) => row[n]! / row[i]!);
}
