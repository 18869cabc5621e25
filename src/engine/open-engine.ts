import { type Config, resolveHnswM, resolveModelId } from "../config/config.ts";
import { defaults } from "../config/defaults.ts";
import { KindredError } from "../core/errors.ts";
import type { Embedder } from "../embed/embedder.ts";
import { knownDimensions } from "../embed/local-embedders.ts";
import { defaultWorkerPlan, WorkerPoolEmbedder } from "../embed/worker-pool-embedder.ts";
import type { Logger } from "../log/logger.ts";
import type { ArticleStore } from "../store/article-store.ts";
import { openPgvectorTable } from "../store/postgres/pgvector-table.ts";
import { PostgresReplicaStore } from "../store/postgres/postgres-replica-store.ts";
import { SqliteArticleStore } from "../store/sqlite-article-store.ts";
import { SqlitePassageVectors } from "../store/sqlite-passage-vectors.ts";
import { savedGraphM } from "../vectors/graph-files.ts";
import type { HnswParameters } from "../vectors/hnsw-vector-index.ts";
import { engineDefaults } from "./engine-options.ts";
import { bulkSlices } from "./fair-embedding.ts";
import type { DenseSearch } from "./find-related-articles.ts";
import { KindredEngine } from "./kindred-engine.ts";
import { createPgvectorSearch } from "./pgvector-search.ts";
import { WorkerStoreWriter } from "./store-writer.ts";

export interface OpenedEngine {
  engine: KindredEngine;
  /** The store the engine serves from: the opener's, for following a replica's change log and for tests. */
  store: ArticleStore;
  /** Stops the embedding workers (if started) and closes the store, saving the graph. */
  close(): Promise<void>;
}

/**
 * Opens the data directory for its model (the configured one, else the index's pin, else the
 * default for a new index): refuses an index built with another model than a configured one,
 * loads or rebuilds the graph, and starts embedding workers only when first needed.
 *
 * @example
 *   const { engine, close } = await openEngine(loadConfig(), logger);
 */
export async function openEngine(
  config: Config,
  logger: Logger,
  options: { embedder?: Embedder; checkRecallOnOpen?: boolean; inlineWrites?: boolean; follower?: boolean; bulkLoad?: boolean } = {},
): Promise<OpenedEngine> {
  // With a database URL this process is one replica: PostgreSQL is the truth, dataDir its local copy.
  const store: ArticleStore =
    config.databaseUrl === undefined
      ? SqliteArticleStore.open(config.dataDir)
      : await PostgresReplicaStore.open({
          databaseUrl: config.databaseUrl,
          dataDir: config.dataDir,
          logger,
          poolSize: config.databasePoolSize,
          changeLogRetentionMs: config.changeLogRetentionMinutes * 60_000,
        });
  try {
    const pin = store.getModelPin();
    // An unset `model` takes the index's pin, so a new default never turns an existing index into a refused start.
    const modelId = resolveModelId(config, pin?.modelId);
    if (pin !== null && pin.modelId !== modelId) {
      throw new KindredError(
        "index_model_mismatch",
        `The index in ${config.dataDir} holds vectors of model "${pin.modelId}", but kindred is configured for "${modelId}". ` +
          `Start with --model ${pin.modelId} (or KINDRED_MODEL=${pin.modelId}), or re-embed with \`kindred reindex --model ${modelId}\`.`,
        { indexModel: pin.modelId, configuredModel: modelId },
      );
    }
    // One embedder per model, started when first needed: the engine asks for the model the store
    // pins, which `kindred reindex` may switch while it runs.
    const embedders = new Map<string, Promise<Embedder>>();
    const provideEmbedder = (modelId: string) => {
      if (options.embedder !== undefined && options.embedder.modelId === modelId) return Promise.resolve(options.embedder);
      let embedder = embedders.get(modelId);
      if (embedder === undefined) {
        const workers = config.embedWorkers ?? defaultWorkerPlan(undefined, options.bulkLoad ? "bulk" : "serve");
        logger.info({ model: modelId, workers }, "starting embedding workers");
        embedder = WorkerPoolEmbedder.start({ modelId, modelsDir: config.modelsDir }, workers, config.embedBatchSize);
        embedders.set(modelId, embedder);
        embedder.catch(() => embedders.delete(modelId));
      }
      return embedder;
    };
    // A bulk load into an empty index will embed every article it writes: the model's workers
    // load while the store writer starts and the indexes load, rather than at the first write (a
    // failure surfaces there, on a retry). Into a non-empty index, a run that only changes
    // metadata never loads the model (engine/article-writes.ts, #startModelIfNeeded).
    if (options.bulkLoad && store.count() === 0) provideEmbedder(modelId).catch(() => undefined);
    const dimensions = pin?.dimensions ?? knownDimensions({ modelId, modelsDir: config.modelsDir }) ?? (await provideEmbedder(modelId)).dimensions;
    if (pin === null) await store.setModelPin({ modelId, dimensions });
    const hnsw = graphParameters(config, logger, options.follower === true);
    const denseSearch =
      store instanceof PostgresReplicaStore && config.vectorSearch === "pgvector" ? await openDenseSearch(store, dimensions, hnsw, logger) : undefined;

    // Writes are prepared and stored on a thread of their own, so reads never wait for them;
    // a replica's writes go to PostgreSQL, asynchronous already, through its store.
    const writer = options.inlineWrites || options.follower || config.databaseUrl !== undefined ? undefined : await WorkerStoreWriter.start(config.dataDir);
    // In the SQLite data directory beside the articles (a follower never embeds).
    const passageVectors = store instanceof SqliteArticleStore && !options.follower ? SqlitePassageVectors.open(config.dataDir) : undefined;
    const engine = new KindredEngine(store, provideEmbedder, {
      ...(writer === undefined ? {} : { writer }),
      writeChunkChars: config.writeChunkChars,
      passagePlan: config.embedPassages,
      ...(passageVectors === undefined ? {} : { passageVectors }),
      dataDir: config.dataDir,
      modelId,
      dimensions,
      hnsw,
      ...(denseSearch === undefined ? {} : { denseSearch }),
      exactScanMaxCandidates: config.exactScanMaxCandidates,
      logger,
      relatedCacheEntries: config.relatedCacheEntries,
      relatedCacheBytes: config.relatedCacheBytes,
      compaction: { deletedFraction: config.compactDeletedFraction, minDeleted: config.compactMinDeleted },
      noiseTopics: config.noiseTopics,
      ...(options.follower ? { follower: true } : {}),
      // A bulk load (kindred index) has no other write in the process to keep waiting short for.
      ...(options.bulkLoad ? { embedSlices: bulkSlices } : {}),
      recallCheck: {
        queries: config.recallCheckQueries,
        k: engineDefaults.recallCheck.k,
        floor: config.recallFloor,
        onOpen: options.checkRecallOnOpen ?? config.recallCheckQueries > 0,
      },
    });
    logger.info({ articles: engine.size(), graph: engine.graphSource, dataDir: config.dataDir }, "index open");
    return {
      engine,
      store,
      close: async () => {
        engine.close();
        passageVectors?.close();
        await writer?.close();
        if (store instanceof PostgresReplicaStore) await store.end();
        for (const embedder of embedders.values()) await (await embedder.catch(() => null))?.close();
      },
    };
  } catch (error) {
    store.close();
    if (store instanceof PostgresReplicaStore) await store.end();
    throw error;
  }
}

/**
 * The graph's parameters: an unset `hnswM` keeps the M the saved graph was built with, so a new
 * default never rebuilds an existing graph on start (a rebuild of a large archive is minutes of
 * CPU); the log says when that M is not what a new graph would get.
 */
function graphParameters(config: Config, logger: Logger, follower: boolean): HnswParameters {
  const parameters = dataDirGraphParameters(config);
  if (config.hnswM === undefined && parameters.m !== defaults.hnswM && !follower) {
    logger.info(
      { m: parameters.m, newGraphM: defaults.hnswM },
      `the graph keeps the M it was built with (${parameters.m}); a new graph gets ${defaults.hnswM}. Set hnswM (KINDRED_HNSW_M) to rebuild it with another on the next start (docs/tuning.md)`,
    );
  }
  return parameters;
}

/** The graph parameters of the data directory's graph: the configured ones, with M as `resolveHnswM` picks it. */
export function dataDirGraphParameters(config: Config): HnswParameters {
  return { m: resolveHnswM(config, savedGraphM(config.dataDir)), efConstruction: config.hnswEfConstruction, efSearch: config.hnswEfSearch };
}

/** pgvector mode: the vectors table on the store of record (created and filled on first use), searched by the related path. */
async function openDenseSearch(store: PostgresReplicaStore, dimensions: number, hnsw: HnswParameters, logger: Logger): Promise<DenseSearch> {
  const started = performance.now();
  const { index, copied } = await openPgvectorTable(store.pool, { dimensions, ...hnsw }).catch((error: unknown) => {
    throw new KindredError(
      "invalid_config",
      `vectorSearch "pgvector" needs the pgvector extension on the PostgreSQL server (install it, or use vectorSearch "memory"): ${(error as Error).message}`,
    );
  });
  logger.info({ copied, iterativeScan: index.iterativeScan, ms: Math.round(performance.now() - started) }, "pgvector mode: searching in PostgreSQL");
  if (!index.iterativeScan)
    logger.warn("pgvector before 0.8 has no iterative scan: filtered searches widen ef_search instead (upgrade pgvector for selective filters)");
  return createPgvectorSearch(index);
}
