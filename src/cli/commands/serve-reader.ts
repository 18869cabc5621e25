import { serve } from "@hono/node-server";
import type { Config } from "../../config/config.ts";
import { openEngine } from "../../engine/open-engine.ts";
import type { ServiceState } from "../../http/service-state.ts";
import type { Logger } from "../../log/logger.ts";
import { followPrimary, sendToPrimary, type WorkerMessage } from "../serve-workers.ts";
import { createServeApp } from "./serve-app.ts";

/** How often a reader picks up changes other processes (kindred index) committed, as the writer does. */
const storeSyncIntervalMs = 1_000;

/**
 * A reader process of `kindred serve` (cli/serve-workers.ts): opens its own copy of the
 * in-memory indexes, catches up with every acknowledged write, and only then takes connections;
 * writes it receives go to the writer process.
 */
export async function runServeReader(config: Config, role: Extract<WorkerMessage, { kind: "role"; role: "reader" }>, logger: Logger): Promise<number> {
  const state: ServiceState = { engine: null, phase: "opening index" };
  const { app, events } = createServeApp(config, logger, state, { role: "reader", name: role.name, writerUrl: role.writerUrl });
  const opened = await openEngine(config, logger, { follower: true, checkRecallOnOpen: false });
  const { engine } = opened;
  state.engine = engine;
  const { listen } = followPrimary(engine, logger);
  const timer = setInterval(() => void engine.syncFromStore().catch((error) => logger.error({ err: error }, "store sync failed")), storeSyncIntervalMs);
  timer.unref();
  const shutdown = async () => {
    clearInterval(timer);
    events.close();
    await opened.close();
    process.exit(0);
  };
  process.once("SIGINT", () => void shutdown());
  process.once("SIGTERM", () => void shutdown());
  sendToPrimary({ kind: "opened", appliedSeq: engine.appliedSeq });
  await listen;
  const server = serve({ fetch: app.fetch, port: config.port, hostname: config.host });
  await new Promise<void>((resolve, reject) => {
    server.once("listening", resolve);
    server.once("error", reject);
  });
  sendToPrimary({ kind: "listening" });
  return new Promise<number>(() => {});
}
