/**
 * What `min_cosine` to choose with a model: cosines of random pairs of demo articles (nearly all
 * unrelated) against those of the related lists' results on the same story, and the seed page's
 * case (the cyber-operations item against the Oscars items its "Related News" box showed).
 *
 *   npx kindred index data/wcep-2025-2026.jsonl.gz --data-dir /tmp/demo-index
 *   npx tsx bench/cosine-floor.ts /tmp/demo-index
 */
import { createReadStream } from "node:fs";
import { createInterface } from "node:readline";
import { createGunzip } from "node:zlib";
import { loadConfig } from "../src/config/config.ts";
import { noFilters } from "../src/core/related/related-filters.ts";
import { dot } from "../src/core/vector-math.ts";
import { openEngine } from "../src/engine/open-engine.ts";
import { silentLogger } from "../src/log/logger.ts";
import { SqliteArticleStore } from "../src/store/sqlite-article-store.ts";
import { createRandom } from "./support/synthetic-corpus.ts";

const [dataDir, corpus = "data/wcep-2025-2026.jsonl.gz"] = process.argv.slice(2);
if (dataDir === undefined) {
  process.stderr.write("usage: npx tsx bench/cosine-floor.ts DATA_DIR [CORPUS.jsonl.gz]\n");
  process.exit(2);
}

const storyOf = new Map<string, string[]>();
for await (const line of createInterface({ input: createReadStream(corpus).pipe(createGunzip()), crlfDelay: Infinity })) {
  if (line.trim() === "") continue;
  const item = JSON.parse(line) as { id: string; story_path?: string[] };
  storyOf.set(item.id, item.story_path ?? []);
}

const percentiles = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  const at = (q: number) => sorted[Math.floor(q * (sorted.length - 1))]!.toFixed(3);
  const below = (floor: number) => `${((100 * values.filter((value) => value < floor).length) / values.length).toFixed(1)}%`;
  return `n ${values.length}: p10 ${at(0.1)}, p50 ${at(0.5)}, p90 ${at(0.9)}, p99 ${at(0.99)}; below 0.5 ${below(0.5)}, 0.6 ${below(0.6)}, 0.7 ${below(0.7)}`;
};

// Random pairs, from the stored vectors.
const store = SqliteArticleStore.open(dataDir);
const vectors = new Map<number, Float32Array>();
for (const { label, vector } of store.listVectors()) vectors.set(label, vector);
const labelOf = new Map<string, number>();
for (const summary of store.listSummaries()) labelOf.set(summary.id, summary.label);
store.close();
const all = [...vectors.values()];
const random = createRandom(11);
const randomPairs: number[] = [];
for (let pair = 0; pair < 100_000; pair++) {
  const a = all[Math.floor(random() * all.length)]!;
  const b = all[Math.floor(random() * all.length)]!;
  if (a !== b) randomPairs.push(dot(a, b));
}

// Related lists: results that share the query's story heading, and those that do not.
const config = loadConfig({ flags: { dataDir, logLevel: "silent" }, env: {}, configFile: undefined });
const { engine, close } = await openEngine(config, silentLogger());
const withStory = engine.listIds().filter((id) => (storyOf.get(id) ?? []).length > 0);
const sameStory: number[] = [];
const otherStory: number[] = [];
for (let query = 0; query < 2_000; query++) {
  const id = withStory[Math.floor(random() * withStory.length)]!;
  const stories = new Set(storyOf.get(id));
  for (const result of engine.findRelatedToArticle(id, { k: 10, filters: noFilters }, { cache: false }).results) {
    ((storyOf.get(result.entry.id) ?? []).some((story) => stories.has(story)) ? sameStory : otherStory).push(result.cosine);
  }
}
await close();

const pairCosine = (a: string, b: string) => {
  const [va, vb] = [vectors.get(labelOf.get(a)!), vectors.get(labelOf.get(b)!)];
  return va === undefined || vb === undefined ? "n/a" : dot(va, vb).toFixed(3);
};
process.stdout.write(`random pairs            ${percentiles(randomPairs)}\n`);
process.stdout.write(`top 10, same story      ${percentiles(sameStory)}\n`);
process.stdout.write(`top 10, other story     ${percentiles(otherStory)}\n`);
process.stdout.write("seed page: cyber operations (wcep-2025-03-02-01055) against\n");
const seedPairs: [string, string][] = [
  ["wcep-2025-03-02-01046", "the 97th Academy Awards"],
  ["wcep-2025-03-02-01047", "Sean Baker's four Oscars"],
  ["wcep-2025-03-05-01097", "the Pentagon's denial"],
];
for (const [id, what] of seedPairs) {
  process.stdout.write(`  ${what.padEnd(26)} ${pairCosine("wcep-2025-03-02-01055", id)}\n`);
}
