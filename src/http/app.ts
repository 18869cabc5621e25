import { Hono, type MiddlewareHandler } from "hono";
import { requestId } from "hono/request-id";
import type { ApiKey } from "../config/api-keys.ts";
import type { Logger } from "../log/logger.ts";
import { apiKeyAuth } from "./auth/api-key-auth.ts";
import { allowCrossOrigin, refuseCrossOriginPreflight, type CrossOriginMethod } from "./cross-origin.ts";
import type { CachePolicy } from "./http-caching.ts";
import { problemJson, problemResponse } from "./problem.ts";
import { limitBody, settleUnreadBody } from "./request-body.ts";
import { articleRoutes } from "./routes/article-routes.ts";
import { articleWriteRoutes } from "./routes/article-write-routes.ts";
import { healthRoutes } from "./routes/health-routes.ts";
import { relatedRoutes } from "./routes/related-routes.ts";
import type { ServiceState } from "./service-state.ts";

export interface AppOptions {
  maxRequestBytes: number;
  maxQueryTextChars: number;
  logger: Logger;
  /** Keys for the write API (and for reads when `readsRequireKey`); none: writes answer 401. */
  apiKeys?: readonly ApiKey[];
  readsRequireKey?: boolean;
  /** Body limit of the write endpoints; default 32 MiB. */
  maxWriteRequestBytes?: number;
  /** `max-age` of read responses; default 0 (revalidate with ETag every time). */
  httpMaxAgeSeconds?: number;
  /** Origins whose pages may call the read endpoints (`*`: any); default `*`. Writes: never. */
  corsOrigins?: readonly string[];
}

/** Bounds on reading a body nobody read (a 401/413/415 answered first) before answering. */
const unreadBodyBounds = { maxDrainBytes: 64 * 1024 * 1024, drainTimeoutMs: 5_000 };

/** What read routes need to guard and label their responses. */
export interface ReadRouteOptions {
  /** The API-key check for reads, or a pass-through while reads are public. */
  readAuth: MiddlewareHandler;
  cachePolicy: CachePolicy;
}

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
  app.use(settleUnreadBody(unreadBodyBounds));
  app.use(requestId());
  // CORS per read route; a new browser-facing route (widget events) adds its line here.
  const crossOrigin = (methods: readonly CrossOriginMethod[]) => allowCrossOrigin({ origins: options.corsOrigins ?? ["*"] }, methods);
  app.use("/v1/articles/:id/related", crossOrigin(["GET"]));
  app.use("/v1/articles/:id", crossOrigin(["GET"]));
  app.use("/v1/related", crossOrigin(["POST"]));
  app.use(refuseCrossOriginPreflight());
  app.use("/v1/related", limitBody(options.maxRequestBytes));
  const keys = options.apiKeys ?? [];
  const passThrough: MiddlewareHandler = (_c, next) => next();
  const reads: ReadRouteOptions = {
    readAuth: options.readsRequireKey === true ? apiKeyAuth({ keys, scope: "read", logger: options.logger }) : passThrough,
    cachePolicy: { shared: options.readsRequireKey !== true, maxAgeSeconds: options.httpMaxAgeSeconds ?? 0 },
  };
  app.route("/", healthRoutes(state));
  app.route("/", relatedRoutes(state, { ...options, ...reads }));
  app.route("/", articleRoutes(state, reads));
  app.route(
    "/",
    articleWriteRoutes(state, {
      writeAuth: apiKeyAuth({ keys, scope: "write", logger: options.logger }),
      maxWriteRequestBytes: options.maxWriteRequestBytes ?? 32 * 1024 * 1024,
    }),
  );
  app.notFound((c) => problemJson("route_not_found", `No route for ${c.req.method} ${c.req.path}.`));
  app.onError((error, c) => problemResponse(c, error, options.logger));
  return app;
}
