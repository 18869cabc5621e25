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
