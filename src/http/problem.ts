import type { Context } from "hono";
import { type ErrorCode, errorCatalog, isKindredError, KindredError } from "../core/errors.ts";
import type { Logger } from "../log/logger.ts";
import { incomingOf } from "./request-body.ts";

/**
 * Renders any error as RFC 9457 problem details (`application/problem+json`), the one place
 * where errors become HTTP. Unknown errors are logged with the request id and answered as a
 * plain 500 that reveals nothing internal.
 */
export function problemResponse(c: Context, error: unknown, logger: Logger): Response {
  const requestId = c.get("requestId" as never) as string | undefined;
  const known = isKindredError(error) ? error : null;
  if (known === null && isClientHangUp(c, error)) {
    // The client closed the connection before its body arrived: nobody will read an answer,
    // and nothing went wrong on our side.
    logger.debug({ requestId, path: c.req.path }, "client closed the connection before sending the whole request");
    return problemJson("invalid_body", "The connection closed before the whole request body arrived.", { parameter: "(body)" });
  }
  if (known === null) logger.error({ err: error, requestId, path: c.req.path }, "unhandled error");
  const problem = known ?? new KindredError("internal", "Something went wrong on our side; the request id identifies it in the logs.");
  return problemJson(problem.code, problem.message, { ...problem.details, ...(requestId === undefined ? {} : { request_id: requestId }) });
}

/** A problem+json response for a catalogued error code. */
export function problemJson(code: ErrorCode, detail: string, extensions: Record<string, unknown> = {}): Response {
  const { status, title } = errorCatalog[code];
  const body = { type: `urn:kindred:problem:${code.replaceAll("_", "-")}`, title, status, detail, code, ...extensions };
  const headers: Record<string, string> = { "content-type": "application/problem+json; charset=utf-8", "cache-control": "no-store" };
  // RFC 9110 §11.6.1: a 401 says how to authenticate.
  if (code === "unauthorized") headers["www-authenticate"] = 'Bearer realm="kindred"';
  // RFC 9110 §10.2.3: a 429 says when to come back.
  if (typeof extensions.retry_after_seconds === "number") headers["retry-after"] = String(extensions.retry_after_seconds);
  return new Response(JSON.stringify(body), { status, headers });
}

/** True when reading the request failed because the client went away (Node's "aborted", ECONNRESET). */
function isClientHangUp(c: Context, error: unknown): boolean {
  const incoming = incomingOf(c);
  const code = (error as { code?: unknown } | null)?.code;
  const clientGone = incoming !== undefined && !incoming.complete && (incoming.destroyed || incoming.errored !== null);
  return clientGone && (code === "ECONNRESET" || code === "ERR_STREAM_PREMATURE_CLOSE" || c.req.raw.signal.aborted || (error as Error)?.message === "aborted");
}
