import cluster from "node:cluster";
import { existsSync, rmSync, statSync, writeFileSync } from "node:fs";
import type { AddressInfo } from "node:net";
import { availableParallelism } from "node:os";
import { join } from "node:path";
import { createAdaptorServer, serve } from "@hono/node-server";
import type { Config } from "../../config/config.ts";
import { KindredError } from "../../core/errors.ts";
import { type OpenedEngine, openEngine } from "../../engine/open-engine.ts";
import type { ServiceState } from "../../http/service-state.ts";
import { indexFiles } from "../../indexer/index-files.ts";
import { createLogger, type Logger } from "../../log/logger.ts";
import { PostgresReplicaStore } from "../../store/postgres/postgres-replica-store.ts";
import { configFromFlags, parseCommandArgs, sharedOptionsHelp } from "../cli-options.ts";
import { createProgressBar } from "../progress-bar.ts";
import { createReaderBarrier, receiveWorkerRole, runServePrimary, sendToPrimary } from "../serve-workers.ts";
import { print } from "./index-command.ts";
import { createServeApp } from "./serve-app.ts";
import { runServeReader } from "./serve-reader.ts";

export const serveHelp = `Usage: kindred serve [options]

Serves the related-articles API over HTTP. The port answers at once: /healthz is alive,
/readyz turns ready once the index is open.

Options:
  --port N            port (env PORT, default 8080)
  --host HOST         interface (env HOST, default 0.0.0.0)
  --bootstrap FILE    when the index is empty, index FILE first (npm start uses the demo corpus);
                      an interrupted first start finishes it on the next start
  --http-workers N    processes answering HTTP: 1 writer and N-1 readers, each with its own
                      in-memory indexes (env KINDRED_HTTP_WORKERS; default auto: one per core,
                      fewer if free memory holds fewer copies of the indexes; docs/operations.md)
${sharedOptionsHelp}`;

/** How often the service picks up changes other processes (kindred index) committed. */
const storeSyncIntervalMs = 1_000;

/** `kindred serve` */
export async function runServeCommand(args: string[]): Promise<number> {
  const { values } = parseCommandArgs(args, {
    port: { type: "string" },
    host: { type: "string" },
    bootstrap: { type: "string" },
    "http-workers": { type: "string" },
  });
  if (values.help) return print(serveHelp);
  const config = configFromFlags(values, { port: values.port, host: values.host, httpWorkers: values["http-workers"] });
  const logger = createLogger(config.logLevel);
  // Several processes (cli/serve-workers.ts): the primary only forks and coordinates them.
  // Not for a PostgreSQL replica: its data directory is one process's local copy (replicas scale out instead).
  const multiProcess =
    cluster.isWorker || (config.databaseUrl === undefined && (config.httpWorkers === "auto" ? availableParallelism() > 1 : config.httpWorkers > 1));
  if (multiProcess && cluster.isPrimary) return runServePrimary({ workers: config.httpWorkers, host: config.host, logger });
  const role = cluster.isWorker ? await receiveWorkerRole() : null;
  try {
    return role?.role === "reader" ? await runServeReader(config, role, logger) : await serveOneProcess(config, logger, role, values.bootstrap);
  } catch (error) {
    // A worker's channel to the primary keeps it alive after the error is reported: let go of
    // it, so the process exits and the primary sees it (and stops, for the writer).
    if (cluster.isWorker) process.disconnect?.();
    throw error;
  }
}

/** The single process of `kindred serve`, or the writer of several (`role`). */
async function serveOneProcess(config: Config, logger: Logger, role: { role: "writer" } | null, bootstrap: string | undefined): Promise<number> {
  const barrier = role === null ? null : createReaderBarrier();
  const state: ServiceState = { engine: null, phase: "opening index" };
  const { app, events } = createServeApp(
    config,
    logger,
    state,
    barrier === null ? undefined : { role: "writer", name: "1", awaitReaders: (seq) => barrier(seq ?? state.engine?.appliedSeq ?? -1) },
  );

  const server = serve({ fetch: app.fetch, port: config.port, hostname: config.host });
  await new Promise<void>((resolve, reject) => {
    server.once("listening", resolve);
    server.once("error", (error: NodeJS.ErrnoException) => reject(listenError(error, config.host, config.port)));
  });
  const port = (server.address() as AddressInfo).port;
  if (!config.apiKeys.some((key) => key.scopes.includes("write"))) {
    logger.warn('no API key has the write scope: the write API answers 401 (set KINDRED_API_KEYS, docs/http-api.md "API keys")');
  }

  let opened: OpenedEngine | null = null;
  const timers: NodeJS.Timeout[] = [];
  const shutdown = async (signal: string) => {
    logger.info({ signal }, "shutting down");
    for (const timer of timers) clearInterval(timer);
    server.close();
    events.close();
    await opened?.close();
    process.exit(0);
  };
  process.once("SIGINT", () => void shutdown("SIGINT"));
  process.once("SIGTERM", () => void shutdown("SIGTERM"));

  opened = await openEngine(config, logger);
  const { engine } = opened;
  // Present while a bootstrap runs: a first start interrupted half-way resumes it next time.
  const bootstrapPending = join(config.dataDir, "bootstrap.pending");
  if (bootstrap !== undefined && (engine.size() === 0 || existsSync(bootstrapPending))) {
    if (!existsSync(bootstrap)) {
      logger.warn({ file: bootstrap }, "bootstrap file not found; serving an empty index");
    } else {
      state.phase = `indexing ${bootstrap} (first start)`;
      writeFileSync(bootstrapPending, `${bootstrap}\n`);
      // Progress by bytes read of the file, as `kindred index` shows it: counting the records
      // first read the whole file once more before indexing began.
      const size = statSync(bootstrap).size;
      state.progress = { done: 0, total: null, bytes_read: 0, bytes_total: size };
      process.stderr.write(`First start: indexing ${bootstrap} into ${config.dataDir}; later starts skip this.\n`);
      const bar = createProgressBar("indexing", size, { bytes: true });
      const report = await indexFiles(engine, [bootstrap], {
        onProgress: ({ done, bytesRead }) => {
          bar.update(done, bytesRead);
          state.progress = { done, total: null, bytes_read: bytesRead, bytes_total: size };
        },
        onRejected: (message) => logger.warn({ record: message }, "record rejected"),
      });
      bar.stop();
      rmSync(bootstrapPending, { force: true });
      delete state.progress;
      process.stderr.write(`Indexed ${report.indexed} articles in ${(report.elapsedMs / 1000).toFixed(1)} s.\n`);
    }
  }
  // Writes acknowledged before a stop and never stored are embedded now, while serving; until
  // then /readyz counts them as pending (engine/accepted-writes.ts).
  if (barrier !== null) engine.afterAcceptedWriteApplied = () => barrier(engine.appliedSeq);
  const recovered = engine.recoverAcceptedWrites();
  if (recovered > 0) logger.info({ articles: recovered }, "indexing writes acknowledged before the last stop");
  state.engine = engine;
  // A replica of a PostgreSQL store: follow its change log (LISTEN/NOTIFY, polling as fallback)
  // and bring the in-memory indexes along as soon as the local copy moved.
  if (opened.store instanceof PostgresReplicaStore) {
    opened.store.follow(() => void engine.syncFromStore().catch((error) => logger.error({ err: error }, "store sync failed")));
  }
  timers.push(
    setInterval(() => void engine.syncFromStore().catch((error) => logger.error({ err: error }, "store sync failed")), storeSyncIntervalMs),
    // Written off the event loop: a synchronous save of a large graph would stall every read.
    setInterval(() => void engine.saveGraphInBackground().catch((error) => logger.error({ err: error }, "graph save failed")), config.graphSaveIntervalMs),
  );
  for (const timer of timers) timer.unref();

  if (role !== null) {
    // The writer also answers forwarded writes on a port of its own, on loopback only.
    const writerServer = createAdaptorServer({ fetch: app.fetch });
    await new Promise<void>((resolve) => writerServer.listen({ host: "127.0.0.1", port: 0, exclusive: true }, resolve));
    const writerUrl = `http://127.0.0.1:${(writerServer.address() as AddressInfo).port}`;
    sendToPrimary({ kind: "writer-ready", writerUrl, port, rssBytes: process.memoryUsage().rss, articles: engine.size(), modelId: engine.modelId });
    return new Promise<number>(() => {});
  }
  const example = engine.getEntry("wcep-2025-03-02-01055")?.id ?? engine.anyArticleId();
  const host = config.host === "0.0.0.0" ? "localhost" : config.host;
  process.stdout.write(
    `kindred ready: ${engine.size()} articles, model ${engine.modelId}, listening on http://${host}:${port}\n` +
      (example === undefined ? "" : `  try: curl 'http://${host}:${port}/v1/articles/${encodeURIComponent(example)}/related?k=5'\n`),
  );
  return new Promise<number>(() => {});
}

/** A port that cannot be had, said in one line that names the setting to change. */
function listenError(error: NodeJS.ErrnoException, host: string, port: number): Error {
  const fix = 'choose another with --port N (or PORT=N, or "port" in kindred.config.json)';
  if (error.code === "EADDRINUSE")
    return new KindredError("invalid_config", `Port ${port} on ${host} is already in use by another process; ${fix}.`, { parameter: "port" });
  if (error.code === "EACCES")
    return new KindredError("invalid_config", `Port ${port} on ${host} needs privileges this process lacks; ${fix}.`, { parameter: "port" });
  if (error.code === "EADDRNOTAVAIL")
    return new KindredError("invalid_config", `Host ${host} is not an address of this machine; choose another with --host (or HOST).`, { parameter: "host" });
  return error;
}
