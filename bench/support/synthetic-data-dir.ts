import { defaultModelId, loadConfig } from "../../src/config/config.ts";
import { hashArticleText, hashEmbedInput } from "../../src/core/content-hash.ts";
import { buildEmbedText } from "../../src/core/embed-text.ts";
import { openEngine } from "../../src/engine/open-engine.ts";
import { silentLogger } from "../../src/log/logger.ts";
import type { ArticleWrite } from "../../src/store/article-store.ts";
import { SqliteArticleStore } from "../../src/store/sqlite-article-store.ts";
import { timeAsync, timeSync } from "./latency-stats.ts";
import { logProgress } from "./progress-log.ts";
import { SyntheticCorpus } from "./synthetic-corpus.ts";

/** The bundled model and its dimensions: the store is pinned to it so `kindred serve` opens it. */
const modelId = defaultModelId;
const dimensions = 512;

/**
 * Words per synthetic body: about a news article's lead and first paragraphs. Bodies are stored
 * but never embedded here; they matter because start-up and the store read them.
 */
export const syntheticBodyWords = 250;

export interface PreparedDataDir {
  dataDir: string;
  count: number;
  writeMs: number;
  /** The first open: builds the HNSW graph from stored vectors and saves it. */
  graphBuildMs: number;
}

/**
 * Fills a data directory with `count` synthetic articles and vectors, written through the store
 * port exactly as the indexer would after embedding (no model is needed: related-by-id never
 * embeds), then opens it once so the graph is built and saved as after a real indexing run.
 */
export async function prepareSyntheticDataDir(dataDir: string, count: number, seed = 42): Promise<PreparedDataDir> {
  const corpus = new SyntheticCorpus(count, { dimensions, seed });
  const store = SqliteArticleStore.open(dataDir);
  const { elapsedMs: writeMs } = timeSync(() => {
    store.setModelPin({ modelId, dimensions });
    const batchSize = 5_000;
    for (let first = 1; first <= count; first += batchSize) {
      const writes: ArticleWrite[] = [];
      for (let label = first; label < Math.min(count + 1, first + batchSize); label++) {
        const article = corpus.articleAt(label, syntheticBodyWords);
        writes.push({
          article,
          textHash: hashArticleText(article),
          embedHash: hashEmbedInput(modelId, buildEmbedText(article)),
          vector: corpus.fillVector(label, new Float32Array(dimensions)),
        });
      }
      store.writeArticles(writes);
    }
  });
  store.close();
  logProgress(`  wrote ${count} synthetic articles in ${(writeMs / 1000).toFixed(1)} s; building the graph`);
  const config = loadConfig({ flags: { dataDir, logLevel: "silent" }, env: {}, configFile: undefined });
  const { elapsedMs: graphBuildMs } = await timeAsync(async () => {
    const { close } = await openEngine(config, silentLogger());
    await close();
  });
  return { dataDir, count, writeMs: Math.round(writeMs), graphBuildMs: Math.round(graphBuildMs) };
}
