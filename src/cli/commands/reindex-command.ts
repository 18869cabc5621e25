import { join } from "node:path";
import { defaultModelId } from "../../config/config.ts";
import { KindredError } from "../../core/errors.ts";
import { defaultWorkerPlan, WorkerPoolEmbedder } from "../../embed/worker-pool-embedder.ts";
import { dataDirGraphParameters } from "../../engine/open-engine.ts";
import { reindexModel } from "../../engine/reindex-model.ts";
import { createLogger } from "../../log/logger.ts";
import { SqliteArticleStore } from "../../store/sqlite-article-store.ts";
import { configFromFlags, parseCommandArgs, sharedOptionsHelp } from "../cli-options.ts";
import { acquireLockFile } from "../lock-file.ts";
import { createProgressBar } from "../progress-bar.ts";
import { print } from "./index-command.ts";

export const reindexHelp = `Usage: kindred reindex [--model ID] [options]

Switches the index to another embedding model without stopping the service: re-embeds every
stored article with the new model into vectors and a graph built beside the live ones, catches
up with writes made meanwhile, then switches in one transaction. A running \`kindred serve\` on
the same data directory answers from the old model until the switch and from the new one after,
within a second, without a restart; no write is lost (one arriving at the switch is embedded
again with the new model). Interrupted, it leaves the index on the old model, untouched; run it
again to resume without re-embedding what was done.

Options:
  --model ID         the model to switch to: google/use-lite-int8 (bundled, int8 graph; the
                     default, also when --model is not given), google/use-lite (its float
                     graph) or one under models/ (kindred model list; kindred model fetch ID)
  --batch-size N     articles per embedding call (default 64)
${sharedOptionsHelp}

Exit status: 0 when the index uses the model (already did, or switched); 1 on failure (the index
is then unchanged).`;

/** `kindred reindex --model ID` */
export async function runReindexCommand(args: string[]): Promise<number> {
  const { values } = parseCommandArgs(args, { "batch-size": { type: "string" } });
  if (values.help) return print(reindexHelp);
  const config = configFromFlags(values);
  const logger = createLogger(config.logLevel);
  if (config.databaseUrl !== undefined) {
    throw new KindredError(
      "invalid_config",
      "kindred reindex works on the SQLite store only so far; with a PostgreSQL store (--database-url), index into a new database with the new model instead.",
    );
  }
  const batchSize = values["batch-size"] === undefined ? 64 : Number(values["batch-size"]);
  const store = SqliteArticleStore.open(config.dataDir);
  let release: (() => void) | null = null;
  try {
    const pin = store.getModelPin();
    // Unset, the model to switch to is the one a new index gets: \`kindred reindex\` alone moves an index to the default.
    const modelId = config.model ?? defaultModelId;
    if (pin?.modelId === modelId) {
      process.stdout.write(`The index in ${config.dataDir} already uses ${modelId}; nothing to do.\n`);
      return 0;
    }
    release = acquireLockFile(join(config.dataDir, "reindex.lock"), "kindred reindex");
    process.stderr.write(`Re-embedding ${store.count()} articles with ${modelId} (the index uses ${pin?.modelId ?? "no model yet"} until the switch).\n`);
    const embedder = await WorkerPoolEmbedder.start(
      { modelId, modelsDir: config.modelsDir },
      config.embedWorkers ?? defaultWorkerPlan(),
      config.embedBatchSize,
    );
    const bar = createProgressBar("re-embedding", null);
    try {
      const report = await reindexModel({
        store,
        dataDir: config.dataDir,
        // The new model's graph gets the M the running one has (or the configured one), so the
        // engine takes it as it is at the switch.
        hnsw: dataDirGraphParameters(config),
        embedder,
        logger,
        batchSize,
        passagePlan: config.embedPassages,
        onProgress: ({ done }) => bar.update(done),
      });
      bar.stop();
      const seconds = report.elapsedMs / 1000;
      process.stdout.write(
        `switched ${config.dataDir} from ${report.from} to ${report.to} (${report.dimensions} dimensions): ${report.articles} articles, ` +
          `${report.embedded} embedded (${(report.embedded / Math.max(seconds, 0.001)).toFixed(1)} articles/s), ${report.reused} reused from an interrupted run, ` +
          `${report.caughtUp} caught up after writes during the run, in ${seconds.toFixed(1)} s (switch ${report.switchMs.toFixed(0)} ms)\n`,
      );
      return 0;
    } finally {
      bar.stop();
      await embedder.close();
    }
  } finally {
    release?.();
    store.close();
  }
}
