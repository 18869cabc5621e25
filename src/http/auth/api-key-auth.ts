import { createHash, timingSafeEqual } from "node:crypto";
import type { MiddlewareHandler } from "hono";
import type { ApiKey, ApiScope } from "../../config/api-keys.ts";
import { KindredError } from "../../core/errors.ts";
import type { Logger } from "../../log/logger.ts";

export interface ApiKeyAuthOptions {
  keys: readonly ApiKey[];
  /** The scope the guarded routes need; a `write` key may also read. */
  scope: ApiScope;
  logger: Logger;
}

/**
 * Middleware that admits requests carrying a configured API key with the scope the route needs:
 * `Authorization: Bearer <key>` or `X-API-Key: <key>`. 401 without a key or with an unknown
 * one, 403 with a key lacking the scope. The presented key is hashed and compared with every
 * configured digest in constant time (crypto.timingSafeEqual, no early exit), so timing tells
 * nothing about how close a guess was. Keys are never logged: logs name the key.
 *
 * @example
 *   app.put("/v1/articles/:id", apiKeyAuth({ keys: config.apiKeys, scope: "write", logger }), handler);
 */
export function apiKeyAuth(options: ApiKeyAuthOptions): MiddlewareHandler {
  const digests = options.keys.map((key) => ({ key, digest: Buffer.from(key.sha256, "hex") }));
  return async (c, next) => {
    const presented = readPresentedKey(c.req.header("authorization"), c.req.header("x-api-key"));
    if (presented === null) {
      throw new KindredError(
        "unauthorized",
        digests.length === 0
          ? 'This endpoint needs an API key, and none is configured: set KINDRED_API_KEYS (docs/http-api.md, "API keys").'
          : 'This endpoint needs an API key: send "Authorization: Bearer <key>" or "X-API-Key: <key>".',
      );
    }
    const key = matchApiKey(digests, presented);
    if (key === null) {
      options.logger.warn({ method: c.req.method, path: c.req.path }, "request with an unknown API key refused");
      throw new KindredError("unauthorized", "The API key is not valid (mistyped, or rotated out of the configuration).");
    }
    if (!grants(key, options.scope)) {
      options.logger.warn({ key: key.name, method: c.req.method, path: c.req.path, scope: options.scope }, "API key lacks scope");
      throw new KindredError("forbidden", `The API key "${key.name}" lacks the "${options.scope}" scope this endpoint needs.`, { scope: options.scope });
    }
    options.logger.debug({ key: key.name, method: c.req.method, path: c.req.path }, "API key accepted");
    await next();
  };
}

/** True when the key may do what `scope` asks (write includes read). */
export function grants(key: ApiKey, scope: ApiScope): boolean {
  return key.scopes.includes(scope) || (scope === "read" && key.scopes.includes("write"));
}

function readPresentedKey(authorization: string | undefined, apiKeyHeader: string | undefined): string | null {
  const bearer = authorization?.match(/^\s*Bearer\s+(\S+)\s*$/i)?.[1];
  const key = bearer ?? apiKeyHeader?.trim();
  return key === undefined || key === "" ? null : key;
}

function matchApiKey(digests: readonly { key: ApiKey; digest: Buffer }[], presented: string): ApiKey | null {
  const digest = createHash("sha256").update(presented, "utf8").digest();
  let match: ApiKey | null = null;
  for (const candidate of digests) {
    // Both sides are 32-byte digests, so timingSafeEqual never throws on length.
    if (timingSafeEqual(digest, candidate.digest) && match === null) match = candidate.key;
  }
  return match;
}
