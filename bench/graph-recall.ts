/**
 * Graph recall after many writes and crashes: recall@10 of the recovered HNSW graph against
 * the exact index, beside a graph rebuilt from the same vectors, on queries near the written
 * region (the written articles and the articles they copy).
 *
 *   npx tsx bench/graph-recall.ts --data-dir INDEX [--rounds 10] [--writes 300] [--queries 500] [--seed 1]
 *
 * INDEX is an indexed data directory (e.g. `npx kindred index data/wcep-2025-2026.jsonl.gz
 * --data-dir INDEX`); it is copied, never written. Each round opens the engine on the copy,
 * applies `--writes` writes (new near-copies of articles, articles replaced by another's text,
 * deletes, metadata changes), saves the graph now and then as `kindred serve` does on its
 * interval, and then "crashes": the store is closed without saving the graph, as a SIGKILL
 * leaves it, so the next round starts from the last saved graph plus the change log. The
 * writes go through the store port with vectors the model would give near-copies (the base's
 * vector plus a little noise), as bench/support/synthetic-data-dir.ts does: the graph, not the
 * model, is under test, and this keeps 3,000 writes to seconds.
 */
import { cpSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { hashArticleText } from "../src/core/content-hash.ts";
import { mulberry32 } from "../src/core/seeded-random.ts";
import { normalizeInPlace } from "../src/core/vector-math.ts";
import { prepareEmbedInput } from "../src/engine/embed-articles.ts";
import { measureGraphRecall } from "../src/engine/graph-recall.ts";
import { KindredEngine } from "../src/engine/kindred-engine.ts";
import { loadIndexes } from "../src/engine/load-indexes.ts";
import { silentLogger } from "../src/log/logger.ts";
import type { StoredArticle } from "../src/store/article-store.ts";
import { SqliteArticleStore } from "../src/store/sqlite-article-store.ts";
import { HnswVectorIndex } from "../src/vectors/hnsw-vector-index.ts";

export interface GraphRecallFigures {
  rounds: number;
  writesPerRound: number;
  articles: number;
  queries: number;
  recoveredRecall: number;
  rebuiltRecall: number;
  /** Unchanged articles the recovered graph does not return in the top 10 for their own vector. */
  recoveredSelfMisses: number;
  rebuiltSelfMisses: number;
  tombstones: number;
  loadAverage: { start: number; end: number };
}

const hnsw = { m: 16, efConstruction: 200, efSearch: 128 };
const logger = silentLogger();

/** Runs the crash loop on a copy of `sourceDir` and measures both graphs. */
export async function measureGraphRecallAfterCrashes(
  sourceDir: string,
  options: { rounds: number; writes: number; queries: number; seed: number },
): Promise<GraphRecallFigures> {
  const loadStart = loadavg()[0]!;
  const dataDir = mkdtempSync(join(tmpdir(), "kindred-graph-recall-"));
  try {
    cpSync(sourceDir, dataDir, { recursive: true });
    const random = mulberry32(options.seed);
    const written = new Set<number>();
    const unchanged = new Set<number>();
    for (let round = 1; round <= options.rounds; round++) {
      const store = SqliteArticleStore.open(dataDir);
      const pin = store.getModelPin()!;
      if (round === 1) for (const summary of store.listSummaries()) unchanged.add(summary.label);
      const engine = new KindredEngine(store, () => Promise.reject(new Error("no model in this bench")), {
        dataDir,
        modelId: pin.modelId,
        dimensions: pin.dimensions,
        hnsw,
        logger,
        recallCheck: { queries: 0, k: 10, floor: 0 },
      });
      const ids = engine.listIds();
      const pickIndex = () => Math.floor(random() * ids.length);
      const pickArticle = (): StoredArticle => store.findById(ids[pickIndex()]!)!;
      const nearCopy = (label: number) => {
        const vector = Float32Array.from(store.getVector(label)!, (value) => value + (random() - 0.5) * 0.004);
        return normalizeInPlace(vector);
      };
      const saveAt = new Set([Math.floor(random() * options.writes), Math.floor(random() * options.writes)]);
      for (let n = 0; n < options.writes; n++) {
        const roll = random();
        const targetIndex = pickIndex();
        const target = store.findById(ids[targetIndex]!)!;
        if (roll < 0.2) {
          const [gone] = store.deleteArticles([target.id]);
          if (gone !== undefined) unchanged.delete(gone.label);
          ids[targetIndex] = ids[ids.length - 1]!;
          ids.pop();
        } else {
          const base = pickArticle();
          const metadataOnly = roll < 0.35;
          const replace = roll < 0.6;
          const article = metadataOnly
            ? { ...target, topics: [...target.topics, `round ${round}`] }
            : // No URL: a URL belongs to one article, and the base keeps its own.
              { ...base, id: replace ? target.id : `copy-${round}-${n}`, title: `Update: ${base.title}`, url: null };
          const { embedHash } = prepareEmbedInput(pin.modelId, article);
          const [outcome] = store.writeArticles(
            [{ article, textHash: hashArticleText(article), embedHash, vector: metadataOnly ? null : nearCopy(base.label) }],
            pin.modelId,
          );
          if (!metadataOnly) {
            written.add(outcome!.label);
            written.add(base.label);
            unchanged.delete(outcome!.label);
          }
          if (!replace && !metadataOnly) ids.push(article.id);
        }
        await engine.syncFromStore();
        if (saveAt.has(n)) engine.saveGraph();
      }
      await engine.waitForCompaction();
      // SIGKILL: the store's commits are on disk; the graph is as last saved.
      store.close();
      process.stderr.write(`round ${round}/${options.rounds}: ${options.writes} writes, ${engine.size()} articles\n`);
    }

    const store = SqliteArticleStore.open(dataDir);
    const pin = store.getModelPin()!;
    const loaded = loadIndexes(store, { dataDir, modelId: pin.modelId, dimensions: pin.dimensions, hnsw, logger });
    const recovered = { ...loaded, graph: loaded.graph! };
    const rebuilt = HnswVectorIndex.create(pin.dimensions, hnsw, recovered.exact.size());
    for (const label of [...recovered.exact.labels()].sort((a, b) => a - b)) rebuilt.upsert(label, recovered.exact.getVector(label)!);
    const recentLabels = [...written].filter((label) => recovered.exact.has(label));
    const sample = { queries: options.queries, k: 10, recentLabels, reason: "on_demand" as const, seed: options.seed, sliceMs: Number.POSITIVE_INFINITY };
    const recoveredReport = await measureGraphRecall(recovered.graph, recovered.exact, sample);
    const rebuiltReport = await measureGraphRecall(rebuilt, recovered.exact, sample);
    const selfMisses = (graph: HnswVectorIndex) =>
      [...unchanged].filter(
        (label) => recovered.exact.has(label) && !graph.search(recovered.exact.getVector(label)!, 10).some((neighbor) => neighbor.label === label),
      ).length;
    const figures: GraphRecallFigures = {
      rounds: options.rounds,
      writesPerRound: options.writes,
      articles: recovered.exact.size(),
      queries: recoveredReport.queries,
      recoveredRecall: round4(recoveredReport.recall),
      rebuiltRecall: round4(rebuiltReport.recall),
      recoveredSelfMisses: selfMisses(recovered.graph),
      rebuiltSelfMisses: selfMisses(rebuilt),
      tombstones: recovered.graph.tombstoneCount(),
      loadAverage: { start: loadStart, end: loadavg()[0]! },
    };
    store.close();
    return figures;
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
}

function round4(value: number): number {
  return Math.round(value * 10_000) / 10_000;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const { values } = parseArgs({
    options: {
      "data-dir": { type: "string" },
      rounds: { type: "string" },
      writes: { type: "string" },
      queries: { type: "string" },
      seed: { type: "string" },
      out: { type: "string" },
    },
  });
  if (values["data-dir"] === undefined) {
    process.stderr.write("usage: npx tsx bench/graph-recall.ts --data-dir INDEX [--rounds 10] [--writes 300] [--queries 500] [--seed 1] [--out FILE]\n");
    process.exit(2);
  }
  const figures = await measureGraphRecallAfterCrashes(values["data-dir"], {
    rounds: Number(values.rounds ?? 10),
    writes: Number(values.writes ?? 300),
    queries: Number(values.queries ?? 500),
    seed: Number(values.seed ?? 1),
  });
  process.stdout.write(`${JSON.stringify(figures, null, 2)}\n`);
  if (values.out !== undefined) writeFileSync(values.out, `${JSON.stringify(figures, null, 2)}\n`);
}
