import { Hono, type MiddlewareHandler } from "hono";
import { requestId } from "hono/request-id";
import type { ApiKey } from "../config/api-keys.ts";
import { defaults } from "../config/defaults.ts";
import type { EventRecorder } from "../events/event-recorder.ts";
import type { Logger } from "../log/logger.ts";
import { apiKeyAuth } from "./auth/api-key-auth.ts";
import { allowCrossOrigin, type CrossOriginMethod, refuseCrossOriginPreflight } from "./cross-origin.ts";
import { matchesIfNoneMatch } from "./http-caching.ts";
import { createMetrics, observeRequests } from "./observability.ts";
import { docsPageHtml } from "./openapi/docs-page.ts";
import { buildOpenApiDocument } from "./openapi/openapi-document.ts";
import { problemJson, problemResponse } from "./problem.ts";
import { rateLimit } from "./rate-limit.ts";
import { limitBody, settleUnreadBody } from "./request-body.ts";
import type { ReadRouteOptions, ServiceState } from "./route-context.ts";
import { articleRoutes } from "./routes/article-routes.ts";
import { articleWriteRoutes } from "./routes/article-write-routes.ts";
import { eventRoutes } from "./routes/event-routes.ts";
import { healthRoutes } from "./routes/health-routes.ts";
import { relatedRoutes } from "./routes/related-routes.ts";
import { storyRoutes } from "./routes/story-routes.ts";
import { workbenchRoutes } from "./routes/workbench-routes.ts";
import { buildWidgetScript, type WidgetDefaults } from "./widget-script.ts";
import { routeBetweenWorkers, type WorkerRouting } from "./worker-routing.ts";
import { timeArticleWrites } from "./write-server-timing.ts";

export interface AppOptions {
  maxRequestBytes: number;
  maxQueryTextChars: number;
  logger: Logger;
  /** Keys for the write API (and for reads when `readsRequireKey`); none: writes answer 401. */
  apiKeys?: readonly ApiKey[];
  readsRequireKey?: boolean;
  /** Body limit of the write endpoints; default `defaults.maxWriteRequestBytes`. */
  maxWriteRequestBytes?: number;
  /** `max-age` of read responses; default 0 (revalidate with ETag every time). */
  httpMaxAgeSeconds?: number;
  /** Origins whose pages may call the read endpoints (`*`: any); default `*`. Writes: never. */
  corsOrigins?: readonly string[];
  /** Site defaults of the widget and the fragment; default `defaultWidgetSettings`. */
  widget?: Partial<WidgetDefaults>;
  /** Where impressions and clicks are counted; none: POST /v1/events and GET /v1/stats answer 503. */
  events?: EventRecorder | null;
  /** Event requests per client and minute; default `defaults.eventsPerMinutePerClient`. */
  eventsPerMinutePerClient?: number;
  /** This process's part in a multi-process `kindred serve` (http/worker-routing.ts); none: the only one. */
  workerRouting?: WorkerRouting;
}

/** Bounds on reading a body nobody read (a 401/413/415 answered first) before answering. */
const unreadBodyBounds = { maxDrainBytes: 64 * 1024 * 1024, drainTimeoutMs: 5_000 };

/** The widget's defaults when the configuration says nothing (docs/news-page.md, "On a news page"). */
export const defaultWidgetSettings: WidgetDefaults = {
  k: defaults.widgetK,
  minResults: defaults.widgetMinResults,
  minCosine: defaults.widgetMinCosine,
  heading: defaults.widgetHeading,
  lazyMargin: "300px",
};

/**
 * Builds the HTTP application. Tests call `app.request()` on it directly; `serve` puts it on
 * a port. Read endpoints answer the origins in `corsOrigins` (widgets call them from article
 * pages) and are public unless `readsRequireKey`; write endpoints need a key with the write
 * scope and never answer cross-origin browsers.
 *
 * @example
 *   const app = createApp(state, { maxRequestBytes: 1e6, maxQueryTextChars: 20000, logger });
 *   const response = await app.request("/v1/articles/a1/related?k=5");
 */
export function createApp(state: ServiceState, options: AppOptions): Hono {
  const app = new Hono();
  // Outside the routing between processes, so a write's timings include the wait for the readers.
  app.use(timeArticleWrites());
  if (options.workerRouting !== undefined) app.use(routeBetweenWorkers(options.workerRouting));
  app.use(settleUnreadBody(unreadBodyBounds));
  app.use(requestId());
  const metrics = createMetrics(state, options.events ?? null);
  app.use(observeRequests(metrics, options.logger));
  // CORS per browser-facing route (reads, and the widget's events); everything else refuses a
  // cross-origin preflight.
  const crossOrigin = (methods: readonly CrossOriginMethod[]) => allowCrossOrigin({ origins: options.corsOrigins ?? ["*"] }, methods);
  app.use("/v1/articles/:id/related", crossOrigin(["GET"]));
  app.use("/v1/articles/:id/related.html", crossOrigin(["GET"]));
  app.use("/v1/articles/:id", crossOrigin(["GET"]));
  app.use("/v1/related", crossOrigin(["GET", "POST"]));
  app.use("/v1/related.html", crossOrigin(["GET"]));
  app.use("/v1/events", crossOrigin(["POST"]));
  app.use(refuseCrossOriginPreflight());
  app.use("/v1/related", limitBody(options.maxRequestBytes));
  const keys = options.apiKeys ?? [];
  const passThrough: MiddlewareHandler = (_c, next) => next();
  const reads: ReadRouteOptions = {
    readAuth: options.readsRequireKey === true ? apiKeyAuth({ keys, scope: "read", logger: options.logger }) : passThrough,
    cachePolicy: { shared: options.readsRequireKey !== true, maxAgeSeconds: options.httpMaxAgeSeconds ?? 0 },
  };
  const widget = { ...defaultWidgetSettings, ...options.widget };
  const widgetScript = buildWidgetScript(widget);
  app.route("/", healthRoutes(state));
  app.route("/", workbenchRoutes());
  app.get("/widget.js", (c) => {
    const headers = { etag: widgetScript.etag, "cache-control": "public, max-age=300" };
    if (matchesIfNoneMatch(c.req.header("if-none-match"), widgetScript.etag)) return c.body(null, 304, headers);
    return c.body(widgetScript.source, 200, { ...headers, "content-type": "text/javascript; charset=utf-8" });
  });
  app.route("/", relatedRoutes(state, { ...options, ...reads, widget }));
  app.route(
    "/",
    eventRoutes(state, {
      recorder: options.events ?? null,
      rateLimit: rateLimit({ perMinute: options.eventsPerMinutePerClient ?? defaults.eventsPerMinutePerClient }),
      // Statistics are for the site's people: once any key is configured (every key may read),
      // they need one; with no keys at all they are as public as reads.
      statsAuth: keys.length > 0 ? apiKeyAuth({ keys, scope: "read", logger: options.logger }) : reads.readAuth,
    }),
  );
  app.route("/", articleRoutes(state, reads));
  app.route("/", storyRoutes(state, reads));
  app.route(
    "/",
    articleWriteRoutes(state, {
      writeAuth: apiKeyAuth({ keys, scope: "write", logger: options.logger }),
      maxWriteRequestBytes: options.maxWriteRequestBytes ?? defaults.maxWriteRequestBytes,
    }),
  );
  const openApiJson = JSON.stringify(buildOpenApiDocument({ maxQueryTextChars: options.maxQueryTextChars }));
  app.get("/openapi.json", (c) => c.body(openApiJson, 200, { "content-type": "application/json", "cache-control": "public, max-age=300" }));
  app.get("/docs", (c) => c.html(docsPageHtml));
  app.get("/metrics", async (c) =>
    c.body(await metrics.registry.metrics(), 200, { "content-type": metrics.registry.contentType, "cache-control": "no-store" }),
  );
  app.notFound((c) => problemJson("route_not_found", `No route for ${c.req.method} ${c.req.path}.`));
  app.onError((error, c) => problemResponse(c, error, options.logger));
  return app;
}
