import { Hono, type MiddlewareHandler } from "hono";
import { cors } from "hono/cors";
import { requestId } from "hono/request-id";
import type { ApiKey } from "../config/api-keys.ts";
import type { Logger } from "../log/logger.ts";
import { apiKeyAuth } from "./auth/api-key-auth.ts";
import type { CachePolicy } from "./http-caching.ts";
import { problemJson, problemResponse } from "./problem.ts";
import { limitBody } from "./request-body.ts";
import { articleRoutes } from "./routes/article-routes.ts";
import { articleWriteRoutes } from "./routes/article-write-routes.ts";
import { healthRoutes } from "./routes/health-routes.ts";
import { relatedRoutes } from "./routes/related-routes.ts";
import { storyRoutes } from "./routes/story-routes.ts";
import { workbenchRoutes } from "./routes/workbench-routes.ts";
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
}

/** What read routes need to guard and label their responses. */
export interface ReadRouteOptions {
  /** The API-key check for reads, or a pass-through while reads are public. */
  readAuth: MiddlewareHandler;
  cachePolicy: CachePolicy;
}

/**
 * Builds the HTTP application. Tests call `app.request()` on it directly; `serve` puts it on
 * a port. Read endpoints allow any origin (widgets call them from article pages) and are public
 * unless `readsRequireKey`; write endpoints need a key with the write scope and are not open to
 * cross-origin browsers.
 *
 * @example
 *   const app = createApp(state, { maxRequestBytes: 1e6, maxQueryTextChars: 20000, logger });
 *   const response = await app.request("/v1/articles/a1/related?k=5");
 */
export function createApp(state: ServiceState, options: AppOptions): Hono {
  const app = new Hono();
  app.use(requestId());
  app.use("/v1/*", cors({ origin: "*", allowMethods: ["GET", "POST"], exposeHeaders: ["X-Request-Id", "ETag", "X-Kindred-Cache"] }));
  app.use("/v1/related", limitBody(options.maxRequestBytes));
  const keys = options.apiKeys ?? [];
  const passThrough: MiddlewareHandler = (_c, next) => next();
  const reads: ReadRouteOptions = {
    readAuth: options.readsRequireKey === true ? apiKeyAuth({ keys, scope: "read", logger: options.logger }) : passThrough,
    cachePolicy: { shared: options.readsRequireKey !== true, maxAgeSeconds: options.httpMaxAgeSeconds ?? 0 },
  };
  app.route("/", healthRoutes(state));
  app.route("/", workbenchRoutes());
  app.route("/", relatedRoutes(state, { ...options, ...reads }));
  app.route("/", articleRoutes(state, reads));
  app.route("/", storyRoutes(state, reads));
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
