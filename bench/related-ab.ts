/**
 * Two builds of kindred in one process, computed related-by-id lists interleaved query by query
 * (A then B, then B then A, ...): each checkout's engine loaded from its own root (its own
 * sources and node_modules, so two builds of a native addon too) on its own copy of one indexed
 * data directory. Run one after the other, two builds compare two moments of a shared machine;
 * interleaved, whatever else runs (other jobs, this process's own collections) falls on both
 * alike, and a change of a tenth of a millisecond shows. Prints each build's p50 / p99 and the
 * per-query difference B - A (median, mean with a 95% interval), and how many lists differ
 * (ids or scores): a change meant to be exact should say 0.
 *
 *   npx tsx bench/related-ab.ts --a ROOT_A --data-a DIR_A --b ROOT_B --data-b DIR_B
 *     [--queries 4000] [--mode hybrid] [--k 10]
 */
import { parseArgs } from "node:util";
import { percentileOf } from "../src/core/percentile.ts";
import { readLoadAverage } from "./support/machine-info.ts";
import { createRandom } from "./support/synthetic-corpus.ts";
import { twoBuildOptions, twoBuildsFrom } from "./support/two-builds.ts";

const { values } = parseArgs({
  options: {
    ...twoBuildOptions,
    queries: { type: "string", default: "4000" },
    mode: { type: "string", default: "hybrid" },
    k: { type: "string", default: "10" },
  },
});
const { a, b, dataA, dataB } = twoBuildsFrom(values, "checkouts");
const queries = Number(values.queries);
const k = Number(values.k);

interface RelatedItem {
  entry: { id: string };
  score: number;
}
interface Side {
  name: "A" | "B";
  /** One computed list (cache bypassed): what it returned, as ids and scores. */
  related: (id: string) => string;
  ids: () => string[];
  close: () => Promise<void>;
  samplesMs: number[];
}

async function openSide(name: "A" | "B", root: string, dataDir: string): Promise<Side> {
  const { loadConfig } = await import(`${root}/src/config/config.ts`);
  const { noFilters } = await import(`${root}/src/core/related/related-filters.ts`);
  const { openEngine } = await import(`${root}/src/engine/open-engine.ts`);
  const { silentLogger } = await import(`${root}/src/log/logger.ts`);
  const config = loadConfig({ flags: { dataDir, logLevel: "silent" }, env: {}, configFile: undefined });
  const { engine, close } = await openEngine(config, silentLogger());
  const request = { k, filters: noFilters, ranking: { mode: values.mode } };
  return {
    name,
    related: (id) => {
      const answer = engine.findRelatedToArticle(id, request, { cache: false });
      return JSON.stringify((answer.results as RelatedItem[]).map((result) => [result.entry.id, result.score]));
    },
    ids: () => engine.listIds(),
    close,
    samplesMs: [],
  };
}

const sides = [await openSide("A", a, dataA), await openSide("B", b, dataB)] as const;
const ids = sides[0].ids();
const random = createRandom(17);
const pick = () => ids[Math.floor(random() * ids.length)]!;
const loadBefore = readLoadAverage();
for (let warm = 0; warm < 300; warm++) for (const side of sides) side.related(pick());
let differing = 0;
for (let query = 0; query < queries; query++) {
  const id = pick();
  const order = query % 2 === 0 ? sides : ([sides[1], sides[0]] as const);
  const answers: Record<string, string> = {};
  for (const side of order) {
    const startedMs = performance.now();
    answers[side.name] = side.related(id);
    side.samplesMs.push(performance.now() - startedMs);
  }
  if (answers.A !== answers.B) differing++;
}
const loadAfter = readLoadAverage();

const sorted = (samples: readonly number[]) => [...samples].sort((x, y) => x - y);
for (const side of sides) {
  const ordered = sorted(side.samplesMs);
  process.stdout.write(`${side.name}: p50 ${percentileOf(ordered, 50).toFixed(3)} ms, p99 ${percentileOf(ordered, 99).toFixed(3)} ms\n`);
}
const differences = sides[1].samplesMs.map((ms, index) => ms - sides[0].samplesMs[index]!);
const mean = differences.reduce((sum, value) => sum + value, 0) / differences.length;
const spread = Math.sqrt(differences.reduce((sum, value) => sum + (value - mean) ** 2, 0) / (differences.length - 1) / differences.length);
process.stdout.write(
  `B - A per query: median ${percentileOf(sorted(differences), 50).toFixed(3)} ms, mean ${mean.toFixed(3)} ms ` +
    `[${(mean - 1.96 * spread).toFixed(3)}, ${(mean + 1.96 * spread).toFixed(3)}]; ` +
    `lists that differ: ${differing} of ${queries}; ${values.mode}, k ${k}, load ${loadBefore.toFixed(2)} -> ${loadAfter.toFixed(2)}\n`,
);
for (const side of sides) await side.close();
