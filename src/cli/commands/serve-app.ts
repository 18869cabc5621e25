import type { Hono } from "hono";
import type { Config } from "../../config/config.ts";
import { EventRecorder } from "../../events/event-recorder.ts";
import { SqliteEventStore } from "../../events/sqlite-event-store.ts";
import { createApp } from "../../http/app.ts";
import type { ServiceState } from "../../http/service-state.ts";
import type { WorkerRouting } from "../../http/worker-routing.ts";
import type { Logger } from "../../log/logger.ts";

/** The HTTP app `kindred serve` runs (in each of its processes), with its event recorder. */
export function createServeApp(config: Config, logger: Logger, state: ServiceState, workerRouting?: WorkerRouting): { app: Hono; events: EventRecorder } {
  const events = new EventRecorder(SqliteEventStore.open(config.dataDir), {
    maxPlacements: config.eventMaxPlacements,
    retentionDays: config.eventRetentionDays,
    flushIntervalMs: 1_000,
  });
  const app = createApp(state, {
    maxRequestBytes: config.maxRequestBytes,
    maxQueryTextChars: config.maxQueryTextChars,
    logger,
    apiKeys: config.apiKeys,
    readsRequireKey: config.readsRequireKey,
    maxWriteRequestBytes: config.maxWriteRequestBytes,
    httpMaxAgeSeconds: config.httpMaxAgeSeconds,
    corsOrigins: config.corsOrigins,
    widget: { k: config.widgetK, minResults: config.widgetMinResults, minCosine: config.widgetMinCosine, heading: config.widgetHeading },
    events,
    eventsPerMinutePerClient: config.eventsPerMinutePerClient,
    ...(workerRouting === undefined ? {} : { workerRouting }),
  });
  return { app, events };
}
