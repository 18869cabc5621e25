import type { Context } from "hono";
import { sha256Base64Url } from "../core/content-hash.ts";

/** How public read responses may be cached by browsers and CDNs. */
export interface CachePolicy {
  /** False when reads need a key: shared caches must not serve one client's answer to another. */
  shared: boolean;
  maxAgeSeconds: number;
}

/**
 * `Cache-Control` for read responses. With the default max-age of 0 a CDN may store a response
 * but must revalidate it every time (RFC 9111 §5.2.2.2), which costs a 304 when nothing changed:
 * kindred's own cache is exact, so freshness is decided here, not by a TTL.
 */
export function cacheControlOf(policy: CachePolicy): string {
  return `${policy.shared ? "public" : "private"}, max-age=${policy.maxAgeSeconds}, must-revalidate`;
}

/**
 * A weak entity tag (RFC 9110 §8.8.3) over a response's serialized content: equal content,
 * equal tag, whether it came from the cache or was computed again. Weak, because fields such
 * as `took_ms` vary between byte-different but equivalent responses.
 */
export function entityTagOf(contentJson: string): string {
  return `W/"${sha256Base64Url(contentJson).slice(0, 27)}"`;
}

/** RFC 9110 §13.1.2: If-None-Match uses weak comparison; `*` matches any current representation. */
export function matchesIfNoneMatch(header: string | undefined, etag: string): boolean {
  if (header === undefined) return false;
  const opaque = (tag: string) => tag.trim().replace(/^W\//, "");
  return header.split(",").some((tag) => tag.trim() === "*" || opaque(tag) === opaque(etag));
}

/**
 * Answers a cacheable GET: 304 with no body when the client's tag matches, else the JSON body
 * (already serialized, so a cached answer is not serialized again), both with ETag and
 * Cache-Control.
 */
export function respondCacheable(
  c: Context,
  bodyJson: string,
  etag: string,
  policy: CachePolicy,
  headers: Record<string, string> = {},
  contentType = "application/json",
): Response {
  const common = { etag, "cache-control": cacheControlOf(policy), ...headers, ...(policy.shared ? {} : { vary: "Authorization, X-API-Key" }) };
  if (matchesIfNoneMatch(c.req.header("if-none-match"), etag)) return c.body(null, 304, common);
  return c.body(bodyJson, 200, { ...common, "content-type": contentType });
}
