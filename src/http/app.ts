import { Hono } from "hono";
import { bodyLimit } from "hono/body-limit";
import { cors } from "hono/cors";
import { requestId } from "hono/request-id";
import { KindredError } from "../core/errors.ts";
import type { Logger } from "../log/logger.ts";
import { problemJson, problemResponse } from "./problem.ts";
import { articleRoutes } from "./routes/article-routes.ts";
import { healthRoutes } from "./routes/health-routes.ts";
import { relatedRoutes } from "./routes/related-routes.ts";
import type { ServiceState } from "./service-state.ts";

export interface AppOptions {
  maxRequestBytes: number;
  maxQueryTextChars: number;
  modelId: string;
  logger: Logger;
}

/**
 * Builds the HTTP application. Tests call `app.request()` on it directly; `serve` puts it on
 * a port. Read endpoints allow any origin (widgets call them from article pages).
 *
 * @example
 *   const app = createApp(state, { maxRequestBytes: 1e6, maxQueryTextChars: 20000, modelId, logger });
 *   const response = await app.request("/v1/articles/a1/related?k=5");
 */
export function createApp(state: ServiceState, options: AppOptions): Hono {
  const app = new Hono();
  app.use(requestId());
  app.use("/v1/*", cors({ origin: "*", allowMethods: ["GET", "POST"], exposeHeaders: ["X-Request-Id"] }));
  app.use(
    bodyLimit({
      maxSize: options.maxRequestBytes,
      onError: () => {
        throw new KindredError("body_too_large", `The request body exceeds ${options.maxRequestBytes} bytes.`, { limit_bytes: options.maxRequestBytes });
      },
    }),
  );
  app.route("/", healthRoutes(state));
  app.route("/", relatedRoutes(state, options));
  app.route("/", articleRoutes(state));
  app.notFound((c) => problemJson("route_not_found", `No route for ${c.req.method} ${c.req.path}.`));
  app.onError((error, c) => problemResponse(c, error, options.logger));
  return app;
}
