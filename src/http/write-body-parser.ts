import { Worker } from "node:worker_threads";
import type { Context } from "hono";
import type { Article } from "../core/article.ts";
import { type ErrorCode, KindredError } from "../core/errors.ts";
import { workerBootstrapSource } from "../workers/worker-bootstrap.ts";
import { type BatchRecord, decodeJsonBody, parseArticleWriteBody, parseBatchWriteBody, type WriteBodyKind } from "./write-body.ts";

/**
 * Reading the body of a write. Decoding and parsing JSON, validating each article and cleaning
 * its text (HTML reduced, language told) cost the main thread time in proportion to the body:
 * for a batch of long articles, enough to freeze every read for a long while. Bodies up to
 * `inlineMaxBytes` are parsed on the main thread, where a worker round trip would cost more
 * than the parse; larger ones are streamed chunk by chunk, as they arrive, to one parser
 * thread, which sends back each article of a batch in a message of its own, so the main
 * thread never holds the whole body and takes the results in small steps between requests.
 */
const inlineMaxBytes = 64 * 1024;

/** The body of `PUT /v1/articles/{id}`: one valid article. */
export async function readArticleWriteBody(c: Context, id: string): Promise<Article> {
  const result = await readWriteBody(c, ["application/json"], { kind: "article", id });
  return (result as { article: Article }).article;
}

/** The body of `POST /v1/articles:batch`: each record validated on its own, in order. */
export async function readBatchWriteBody(c: Context): Promise<BatchRecord[]> {
  const result = await readWriteBody(c, ["application/json"], { kind: "batch" });
  return (result as { records: BatchRecord[] }).records;
}

/** A JSON body of any shape (a PATCH); the first of `mediaTypes` is the one an error asks for. */
export async function readJsonWriteBody(c: Context, mediaTypes: readonly string[]): Promise<unknown> {
  const result = await readWriteBody(c, mediaTypes, { kind: "json" });
  return (result as { value: unknown }).value;
}

type ParseResult = { value: unknown } | { article: Article } | { records: BatchRecord[] };

async function readWriteBody(c: Context, mediaTypes: readonly string[], request: WriteBodyKind): Promise<ParseResult> {
  const contentType = (c.req.header("content-type") ?? "").toLowerCase();
  if (!mediaTypes.some((mediaType) => contentType.startsWith(mediaType))) {
    throw new KindredError("unsupported_media_type", `Send the body as JSON with "Content-Type: ${mediaTypes[0]}".`);
  }
  const held: Uint8Array[] = [];
  let bytes = 0;
  const declaredBytes = Number(c.req.header("content-length") ?? Number.NaN);
  let session: ParseSession | null = declaredBytes > inlineMaxBytes ? parserThread.open(request) : null;
  try {
    for await (const chunk of c.req.raw.body ?? []) {
      bytes += chunk.byteLength;
      if (session === null && bytes > inlineMaxBytes) {
        session = parserThread.open(request);
        for (const earlier of held) session.push(earlier);
        held.length = 0;
      }
      if (session === null) held.push(chunk);
      else session.push(chunk);
    }
  } catch (error) {
    // Over the body limit, or the client went away: the thread drops what it had.
    session?.abort();
    throw error;
  }
  if (session !== null) return session.end();
  return parseOnThisThread(Buffer.concat(held), request);
}

/** What the parser thread does, on the calling thread (the parser thread runs this too). */
export function parseOnThisThread(bytes: Uint8Array, request: WriteBodyKind, onRecord?: (record: BatchRecord, index: number) => void): ParseResult {
  const raw = decodeJsonBody(bytes);
  if (request.kind === "json") return { value: raw };
  if (request.kind === "article") return { article: parseArticleWriteBody(raw, request.id) };
  const records: BatchRecord[] = [];
  parseBatchWriteBody(raw, onRecord ?? ((record) => records.push(record)));
  return { records };
}

/** Messages to and from the parser thread (write-body-parser-worker.ts). */
export type ParserRequest =
  | { id: number; kind: "open"; request: WriteBodyKind }
  | { id: number; kind: "chunk"; chunk: Uint8Array }
  | { id: number; kind: "end" }
  | { id: number; kind: "abort" };
export type ParserResponse =
  | { kind: "failed"; message: string }
  | { id: number; record: BatchRecord; index: number }
  | { id: number; result: ParseResult }
  | { id: number; error: { message: string; code?: ErrorCode; details?: Record<string, unknown> } };

interface ParseSession {
  push(chunk: Uint8Array): void;
  end(): Promise<ParseResult>;
  abort(): void;
}

interface PendingParse {
  records: BatchRecord[];
  resolve: (result: ParseResult) => void;
  reject: (error: Error) => void;
}

const workerBootstrap = workerBootstrapSource("http/write-body-parser-worker");

/**
 * One thread for every request's body, started at the first large body and kept (unreferenced
 * while idle, so it never keeps a process alive). Requests interleave: each has an id, and
 * the thread parses a body when its last chunk has come.
 */
class ParserThread {
  #worker: Worker | null = null;
  readonly #pending = new Map<number, PendingParse>();
  #open = 0;
  #nextId = 1;

  open(request: WriteBodyKind): ParseSession {
    const worker = this.#start();
    const id = this.#nextId++;
    if (this.#open++ === 0) worker.ref();
    let closed = false;
    const close = () => {
      if (closed) return;
      closed = true;
      if (this.#worker === worker && --this.#open === 0) worker.unref();
    };
    worker.postMessage({ id, kind: "open", request } satisfies ParserRequest);
    return {
      push: (chunk) => {
        // A copy of its own, transferred: a chunk may be a view of a larger buffer the socket reuses.
        const copy = chunk.slice();
        worker.postMessage({ id, kind: "chunk", chunk: copy } satisfies ParserRequest, [copy.buffer]);
      },
      end: () =>
        new Promise<ParseResult>((resolve, reject) => {
          if (this.#worker !== worker) {
            close();
            reject(new Error("The body parser thread stopped while the body was read."));
            return;
          }
          this.#pending.set(id, {
            records: [],
            resolve: (result) => {
              close();
              resolve(result);
            },
            reject: (error) => {
              close();
              reject(error);
            },
          });
          worker.postMessage({ id, kind: "end" } satisfies ParserRequest);
        }),
      abort: () => {
        close();
        worker.postMessage({ id, kind: "abort" } satisfies ParserRequest);
      },
    };
  }

  #start(): Worker {
    if (this.#worker !== null) return this.#worker;
    const worker = new Worker(workerBootstrap, { eval: true });
    worker.unref();
    worker.on("message", (message: ParserResponse) => {
      if (!("id" in message)) {
        this.#fail(worker, new Error(`The body parser thread failed to start: ${message.message}`));
        return;
      }
      const pending = this.#pending.get(message.id);
      if (pending === undefined) return;
      if ("record" in message) {
        pending.records[message.index] = message.record;
        return;
      }
      this.#pending.delete(message.id);
      if ("error" in message) {
        const { code, details, message: text } = message.error;
        pending.reject(code === undefined ? new Error(text) : new KindredError(code, text, details));
      } else if ("records" in message.result) {
        pending.resolve({ records: pending.records });
      } else {
        pending.resolve(message.result);
      }
    });
    worker.on("error", (error) => this.#fail(worker, error));
    worker.on("exit", (code) => this.#fail(worker, new Error(`The body parser thread exited (code ${code}).`)));
    this.#worker = worker;
    return worker;
  }

  /** Fails what was waiting on a thread that is gone; the next large body starts a new one. */
  #fail(worker: Worker, error: Error): void {
    if (this.#worker !== worker) return;
    this.#worker = null;
    this.#open = 0;
    for (const pending of this.#pending.values()) pending.reject(error);
    this.#pending.clear();
    worker.terminate().catch(() => {});
  }
}

const parserThread = new ParserThread();
