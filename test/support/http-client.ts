import type { Hono } from "hono";
import pino from "pino";
import type { Logger } from "../../src/log/logger.ts";

/** A JSON request against an in-process app (no port); the body is parsed when there is one. */
export async function requestJson(app: Hono, method: string, path: string, options: { body?: unknown; headers?: Record<string, string> } = {}) {
  const headers: Record<string, string> = { ...(options.body === undefined ? {} : { "content-type": "application/json" }), ...options.headers };
  const body = options.body === undefined ? undefined : typeof options.body === "string" ? options.body : JSON.stringify(options.body);
  const response = await app.request(path, { method, headers, ...(body === undefined ? {} : { body }) });
  const text = await response.text();
  return { response, status: response.status, body: (text === "" ? null : JSON.parse(text)) as Record<string, any> };
}

/**
 * A JSON request with a bearer key against a running `kindred serve` (support/kindred-server.ts);
 * the body is parsed when there is one.
 */
export async function requestServerJson(baseUrl: string, key: string, method: string, path: string, body?: unknown) {
  const response = await fetch(`${baseUrl}${path}`, {
    method,
    headers: { authorization: `Bearer ${key}`, ...(body === undefined ? {} : { "content-type": "application/json" }) },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await response.text();
  return { status: response.status, body: text === "" ? null : (JSON.parse(text) as Record<string, any>) };
}

/** A logger that keeps every line it writes, to check what reached the logs. */
export function recordingLogger(): { logger: Logger; lines: string[] } {
  const lines: string[] = [];
  const logger = pino({ level: "debug" }, { write: (line: string) => void lines.push(line) });
  return { logger, lines };
}

/** The write path with `wait=true`: answered once every process's lists hold the write (docs/http-api.md, "Acknowledgement"). */
export function waitingForIndexes(path: string): string {
  return `${path}${path.includes("?") ? "&" : "?"}wait=true`;
}
