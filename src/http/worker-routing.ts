import type { MiddlewareHandler } from "hono";
import { whenWritesCommit } from "../engine/write-commits.ts";
import { timeWritePhase } from "../engine/write-timings.ts";

/**
 * How one process of a multi-process `kindred serve` (cli/serve-workers.ts) treats requests:
 * a reader forwards writes to the writer process; with `wait=true` the writer answers a write
 * only once every reader has applied it, so a read that follows the answer sees the write
 * whichever process answers it. Without, the readers replay it meanwhile. Every response names the process that made it.
 */
export type WorkerRouting =
  | {
      role: "writer";
      name: string;
      /** Resolves once every reader has applied the store up to `seq` (default: what this process has applied). */
      awaitReaders: (seq?: number) => Promise<void>;
    }
  | { role: "reader"; name: string; writerUrl: string };

/** Requests that change articles (the write API); everything else is a read any process answers. */
export function isArticleWrite(method: string, path: string): boolean {
  return (
    method !== "GET" &&
    method !== "HEAD" &&
    method !== "OPTIONS" &&
    (path === "/v1/articles" || path.startsWith("/v1/articles/") || path.startsWith("/v1/articles:"))
  );
}

/** Headers that describe one hop's connection or body encoding, not the message (RFC 9110 section 7.6.1). */
const hopHeaders = ["connection", "keep-alive", "transfer-encoding", "content-length", "host", "content-encoding"];

export function routeBetweenWorkers(routing: WorkerRouting): MiddlewareHandler {
  return async (c, next) => {
    if (isArticleWrite(c.req.method, c.req.path)) {
      if (routing.role === "reader") {
        c.res = await forwardToWriter(c.req.raw, routing.writerUrl);
      } else {
        // The readers replay each commit while this process applies it too (engine/write-commits.ts).
        const replays: Promise<void>[] = [];
        await whenWritesCommit((seq) => replays.push(routing.awaitReaders(seq)), next);
        if (new URL(c.req.url).searchParams.get("wait") !== "true") {
          // Acknowledged once durable: the readers follow without the answer waiting for them
          // (an accepted write's own barrier runs once it is indexed, engine/accepted-writes.ts).
          for (const replay of replays) replay.catch(() => undefined);
          c.res.headers.set("x-kindred-worker", routing.name);
          return;
        }
        // Whatever the write's outcome, what it committed is in the store: wait for every reader.
        // A write that committed nothing (refused, or no such article) waits for the readers to
        // reach everything this process applied, as before.
        await timeWritePhase("barrier", () => (replays.length > 0 ? Promise.all(replays).then(() => undefined) : routing.awaitReaders()));
      }
    } else {
      await next();
    }
    c.res.headers.set("x-kindred-worker", routing.name);
  };
}

async function forwardToWriter(request: Request, writerUrl: string): Promise<Response> {
  const url = new URL(request.url);
  const headers = new Headers(request.headers);
  for (const name of hopHeaders) headers.delete(name);
  const init: RequestInit & { duplex?: "half" } = { method: request.method, headers, redirect: "manual" };
  if (request.body !== null) {
    init.body = request.body;
    init.duplex = "half";
  }
  const answer = await fetch(`${writerUrl}${url.pathname}${url.search}`, init);
  const answerHeaders = new Headers(answer.headers);
  for (const name of hopHeaders) answerHeaders.delete(name);
  return new Response(answer.body, { status: answer.status, statusText: answer.statusText, headers: answerHeaders });
}
