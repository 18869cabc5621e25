import type { IncomingMessage } from "node:http";
import type { Context, MiddlewareHandler } from "hono";
import { bodyLimit } from "hono/body-limit";
import { KindredError } from "../core/errors.ts";

/** Refuses bodies over `maxBytes` with a 413 problem, before anything parses them. */
export function limitBody(maxBytes: number): MiddlewareHandler {
  return bodyLimit({
    maxSize: maxBytes,
    onError: () => {
      throw new KindredError("body_too_large", `The request body exceeds ${maxBytes} bytes.`, { limit_bytes: maxBytes });
    },
  });
}

/**
 * Reads a JSON body, refusing other media types (415) and malformed JSON (400). The first of
 * `mediaTypes` is the one the error message asks for.
 */
export async function readJsonBody(c: Context, mediaTypes: readonly string[] = ["application/json"]): Promise<unknown> {
  const contentType = (c.req.header("content-type") ?? "").toLowerCase();
  if (!mediaTypes.some((mediaType) => contentType.startsWith(mediaType))) {
    throw new KindredError("unsupported_media_type", `Send the body as JSON with "Content-Type: ${mediaTypes[0]}".`);
  }
  return c.req.json().catch(() => {
    throw new KindredError("invalid_body", "The request body is not valid JSON.", { parameter: "(body)" });
  });
}

/** How much of a body nobody read is drained before the answer, so the connection stays usable. */
export interface UnreadBodyBounds {
  maxDrainBytes: number;
  drainTimeoutMs: number;
}

/** The Node request behind a Hono context, when served by @hono/node-server (not in `app.request()`). */
export function incomingOf(c: Context): IncomingMessage | undefined {
  const env = c.env as { incoming?: IncomingMessage } | undefined;
  return env?.incoming;
}

/**
 * Settles a request body the handler did not read to its end (a 401, 413 or 415 answered
 * before reading it), so the client can read the answer and use the connection again. The
 * rest of the body is drained (read and discarded) up to a bound before the answer goes out: a client that
 * writes its whole body before reading then gets the 413 rather than a reset connection, and
 * the next request on the connection works. A body larger than the bound, or slower than it,
 * is answered with `Connection: close` (RFC 9112 §9.6), so the client knows the connection
 * ends and does not send another request on it.
 */
export function settleUnreadBody(bounds: UnreadBodyBounds): MiddlewareHandler {
  return async (c, next) => {
    await next();
    const incoming = incomingOf(c);
    if (incoming === undefined || incoming.complete || incoming.readableEnded || incoming.destroyed) return;
    // Without a length or chunked coding there is no body (RFC 9112 §6.3); Node marks such a request complete.
    const drained = await drainBody(incoming, bounds);
    if (!drained) c.res.headers.set("connection", "close");
  };
}

/** Reads and discards the rest of a body; true if it ended within the bounds. */
function drainBody(incoming: IncomingMessage, bounds: UnreadBodyBounds): Promise<boolean> {
  return new Promise((resolve) => {
    let bytes = 0;
    const finish = (ended: boolean) => {
      clearTimeout(timer);
      incoming.off("data", onData);
      incoming.off("end", onEnd);
      incoming.off("error", onFail);
      incoming.off("close", onClose);
      if (!ended) incoming.pause();
      resolve(ended);
    };
    const onData = (chunk: Buffer) => {
      bytes += chunk.length;
      if (bytes > bounds.maxDrainBytes) finish(false);
    };
    const onEnd = () => finish(true);
    const onFail = () => finish(false);
    const onClose = () => finish(incoming.complete);
    const timer = setTimeout(() => finish(false), bounds.drainTimeoutMs);
    // Whatever began reading the body (the body limit, a web stream made for the Request) has
    // given it up; as Node's own IncomingMessage._dump does, drop its readers and discard.
    incoming.removeAllListeners("data");
    incoming.on("data", onData);
    incoming.once("end", onEnd);
    incoming.once("error", onFail);
    incoming.once("close", onClose);
    incoming.resume();
  });
}
