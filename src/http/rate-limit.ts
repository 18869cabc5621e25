import { getConnInfo } from "@hono/node-server/conninfo";
import type { Context, MiddlewareHandler } from "hono";
import { KindredError } from "../core/errors.ts";

export interface RateLimitOptions {
  /** Requests a client may make per minute (a bucket of this size, refilled evenly). */
  perMinute: number;
  /** Clients tracked at once; the least recently seen are forgotten first. */
  maxClients?: number;
  now?: () => number;
}

/**
 * A token bucket per client address, in memory only (nothing about a client is stored). Behind
 * a proxy every request has the proxy's address, so the limit is then per proxy: set it with
 * that in mind. A refused request answers 429 with Retry-After (http/problem.ts).
 */
export function rateLimit(options: RateLimitOptions): MiddlewareHandler {
  const buckets = new Map<string, { tokens: number; atMs: number }>();
  const maxClients = options.maxClients ?? 10_000;
  const perMs = options.perMinute / 60_000;
  const now = options.now ?? Date.now;
  return async (c, next) => {
    const client = clientAddress(c);
    const at = now();
    const bucket = buckets.get(client) ?? { tokens: options.perMinute, atMs: at };
    buckets.delete(client);
    bucket.tokens = Math.min(options.perMinute, bucket.tokens + (at - bucket.atMs) * perMs);
    bucket.atMs = at;
    // Map order is insertion order: re-inserting keeps the least recently seen first.
    buckets.set(client, bucket);
    if (buckets.size > maxClients) buckets.delete(buckets.keys().next().value!);
    if (bucket.tokens < 1) {
      const retryAfterSeconds = Math.ceil((1 - bucket.tokens) / perMs / 1000);
      throw new KindredError("rate_limited", `Too many requests from this client: at most ${options.perMinute} a minute; retry in ${retryAfterSeconds} s.`, {
        retry_after_seconds: retryAfterSeconds,
      });
    }
    bucket.tokens -= 1;
    await next();
  };
}

/** The peer address; in-process requests (tests calling app.request) have none. */
function clientAddress(c: Context): string {
  try {
    return getConnInfo(c).remote.address ?? "unknown";
  } catch {
    return "in-process";
  }
}
