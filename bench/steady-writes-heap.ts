/**
 * What the in-memory indexes keep per write, with the corpus held steady: a writer engine and a
 * follower engine (what a reader process of `kindred serve` runs) over a copy of INDEX, the
 * soak's writes (batches of 10 over a pool of ids, random syllable texts, so every version
 * brings words no other has) with a few related lists computed by the follower after each, the
 * related-list cache off. Every `--step` writes both engines are collected (`global.gc`) and
 * it prints the heap used, the follower's graph slots and tombstones, the writer's graph slots
 * and the lexical terms. Once the pool's ids all exist, a process that keeps nothing per write
 * stays level. Then the cache's cost per list: `--lists` lists computed with the cache on,
 * heap used after collection over the lists cached, beside the cache's own estimate.
 *
 *   node --expose-gc --import tsx bench/steady-writes-heap.ts --data-dir INDEX [--writes 5000] [--step 1000] [--id-pool 3000] [--lists 1500]
 */
import { cpSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { parseArticle } from "../src/articles/article-schema.ts";
import { loadConfig } from "../src/config/config.ts";
import type { Article } from "../src/core/article.ts";
import { noFilters } from "../src/core/related/related-filters.ts";
import { openEngine } from "../src/engine/open-engine.ts";
import { silentLogger } from "../src/log/logger.ts";

const { values } = parseArgs({
  options: {
    "data-dir": { type: "string" },
    writes: { type: "string" },
    step: { type: "string" },
    "id-pool": { type: "string" },
    lists: { type: "string" },
  },
});
const gc = (globalThis as { gc?: () => void }).gc;
if (values["data-dir"] === undefined || gc === undefined) {
  process.stderr.write(
    "usage: node --expose-gc --import tsx bench/steady-writes-heap.ts --data-dir INDEX [--writes 5000] [--step 1000] [--id-pool 3000] [--lists 1500]\n",
  );
  process.exit(2);
}
const writes = Number(values.writes ?? 5000);
const step = Number(values.step ?? 1000);
const idPool = Number(values["id-pool"] ?? 3000);
const lists = Number(values.lists ?? 1500);

const dataDir = join(mkdtempSync(join(tmpdir(), "kindred-steady-")), "index");
cpSync(values["data-dir"], dataDir, { recursive: true });
const config = loadConfig({ flags: { dataDir, relatedCacheEntries: 0 }, env: {} });
const writer = await openEngine(config, silentLogger(), { checkRecallOnOpen: false, inlineWrites: true });
const follower = await openEngine(config, silentLogger(), { checkRecallOnOpen: false, follower: true });

const syllables = ["ka", "lo", "mi", "ren", "sto", "va", "tur", "el", "pan", "dor", "si", "gue", "ma", "no", "ber", "xi"];
const word = () => Array.from({ length: 2 + Math.floor(Math.random() * 3) }, () => syllables[Math.floor(Math.random() * syllables.length)]).join("");
const words = (count: number) => Array.from({ length: count }, word).join(" ");
const article = (n: number): Article => {
  const parsed = parseArticle({ id: `soak-${n}`, title: `Soak item ${n}: ${words(6)}`, text: words(80), lang: "en" });
  if (!parsed.ok) throw new Error(JSON.stringify(parsed.issues));
  return parsed.article;
};
const heapUsedMiB = () => {
  gc();
  gc();
  return Math.round((process.memoryUsage().heapUsed / 2 ** 20) * 10) / 10;
};
const report = (done: number) => {
  const stats = follower.engine.graphStats();
  const line = {
    writes: done,
    heapUsedMiB: heapUsedMiB(),
    followerGraphSlots: follower.engine.indexStats().graphSlots,
    followerTombstones: stats.tombstones,
    writerGraphSlots: writer.engine.indexStats().graphSlots,
    lexicalTerms: follower.engine.indexStats().lexicalTerms,
  };
  process.stdout.write(`${JSON.stringify(line)}\n`);
};

try {
  const ids = follower.engine.listIds();
  const randomId = () => ids[Math.floor(Math.random() * ids.length)]!;
  let counter = 0;
  report(0);
  for (let done = 0; done < writes; ) {
    await writer.engine.writeArticles(Array.from({ length: 10 }, () => article(counter++ % idPool)));
    await follower.engine.syncFromStore();
    for (let query = 0; query < 5; query++) follower.engine.findRelatedToArticle(randomId(), { k: 10, filters: noFilters }, { cache: false });
    done += 10;
    if (done % step === 0) report(done);
  }
  await writer.engine.waitForCompaction();
  await follower.engine.syncFromStore();
  await follower.engine.waitForCompaction();
  report(writes);

  // The cache's cost per list, with writes paused (its catalog entries are the catalog's own).
  const cached = await openEngine(loadConfig({ flags: { dataDir }, env: {} }), silentLogger(), { checkRecallOnOpen: false, follower: true });
  try {
    const cachedIds = cached.engine.listIds();
    for (let i = 0; i < 200; i++) cached.engine.findRelatedToArticle(cachedIds[i % cachedIds.length]!, { k: 10, filters: noFilters }, { cache: false });
    const before = heapUsedMiB();
    for (let i = 0; i < lists; i++) cached.engine.findRelatedToArticle(cachedIds[(i * 7919) % cachedIds.length]!, { k: 10, filters: noFilters });
    const after = heapUsedMiB();
    const { entries, bytes } = cached.engine.cacheStats();
    process.stdout.write(
      `${JSON.stringify({ cachedLists: entries, heapBytesPerList: Math.round(((after - before) * 2 ** 20) / entries), estimatedBytesPerList: Math.round(bytes / entries) })}\n`,
    );
  } finally {
    await cached.close();
  }
} finally {
  await follower.close();
  await writer.close();
  rmSync(dataDir, { recursive: true, force: true });
}
