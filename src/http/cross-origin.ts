import type { MiddlewareHandler } from "hono";
import { problemJson } from "./problem.ts";

/** Methods a browser on another site may use on a route (reads: GET, or POST for a query body). */
export type CrossOriginMethod = "GET" | "POST";

export interface CrossOriginPolicy {
  /** Origins allowed to call (`https://news.example`), or `*` for any. Empty: none. */
  origins: readonly string[];
}

/** Response headers a widget may read (everything else stays hidden from cross-origin scripts). */
const exposedHeaders = "X-Request-Id, ETag, X-Kindred-Cache";
/** Request headers a cross-origin call may carry: JSON bodies, and a read key when reads need one. */
const allowedHeaders = "Content-Type, Authorization, X-API-Key, If-None-Match";
const preflightMaxAgeSeconds = 600;

/**
 * CORS (Fetch standard, "CORS protocol") for one route that browsers on other sites may call:
 * the read endpoints, and any later one such as widget events. Only the listed origins, and
 * only `methods` (GET includes HEAD), get `Access-Control-Allow-*` headers; everything else on
 * the same path (a PUT to `/v1/articles/{id}`) gets none, so browsers refuse it. A preflight
 * the policy does not cover is refused with a 403 and no CORS headers.
 *
 * @example
 *   app.use("/v1/related", allowCrossOrigin({ origins: ["https://news.example"] }, ["POST"]));
 */
export function allowCrossOrigin(policy: CrossOriginPolicy, methods: readonly CrossOriginMethod[]): MiddlewareHandler {
  const anyOrigin = policy.origins.includes("*");
  const listed = new Set(policy.origins.map(normalizeOrigin));
  const permits = (method: string) => (methods as readonly string[]).includes(method) || (method === "HEAD" && methods.includes("GET"));
  const allowOriginFor = (origin: string) => (anyOrigin ? "*" : listed.has(normalizeOrigin(origin)) ? origin : null);

  return async (c, next) => {
    const origin = c.req.header("origin");
    const requestedMethod = c.req.header("access-control-request-method");
    if (c.req.method === "OPTIONS" && origin !== undefined && requestedMethod !== undefined) {
      const allowOrigin = allowOriginFor(origin);
      if (allowOrigin === null || !permits(requestedMethod.trim().toUpperCase())) return refusePreflight(c.req.path, requestedMethod);
      return new Response(null, {
        status: 204,
        headers: {
          "access-control-allow-origin": allowOrigin,
          "access-control-allow-methods": methods.join(", "),
          "access-control-allow-headers": allowedHeaders,
          "access-control-max-age": String(preflightMaxAgeSeconds),
          ...(anyOrigin ? {} : { vary: "Origin" }),
        },
      });
    }
    await next();
    // The answer depends on Origin whenever origins are listed, so shared caches must key on it.
    if (!anyOrigin) c.res.headers.append("vary", "Origin");
    // With `*` the header is the same for every caller, so it is sent even without Origin.
    const allowOrigin = anyOrigin ? "*" : origin === undefined ? null : allowOriginFor(origin);
    if (allowOrigin === null || !permits(c.req.method)) return;
    c.res.headers.set("access-control-allow-origin", allowOrigin);
    c.res.headers.set("access-control-expose-headers", exposedHeaders);
  };
}

/**
 * Answers every CORS preflight no route allowed (the write endpoints, unknown paths) with a 403
 * and no CORS headers: a browser on another site never gets to send a write.
 */
export function refuseCrossOriginPreflight(): MiddlewareHandler {
  return async (c, next) => {
    const requestedMethod = c.req.header("access-control-request-method");
    if (c.req.method === "OPTIONS" && c.req.header("origin") !== undefined && requestedMethod !== undefined) {
      return refusePreflight(c.req.path, requestedMethod);
    }
    await next();
  };
}

function refusePreflight(path: string, method: string): Response {
  return problemJson(
    "cross_origin_refused",
    `Browsers on other sites may not send ${method.slice(0, 20)} ${path.slice(0, 200)}: write endpoints are for servers (a CMS), and reads answer only the origins in "corsOrigins".`,
  );
}

/** Origins compare as scheme://host[:port], case-insensitively, without a trailing slash. */
function normalizeOrigin(origin: string): string {
  return origin.trim().replace(/\/+$/, "").toLowerCase();
}
