import { parentPort } from "node:worker_threads";
import { serialiseWorkerError } from "../workers/worker-requests.ts";
import type { WriteBodyKind } from "./write-body.ts";
import { type ParserRequest, type ParserResponse, parseOnThisThread } from "./write-body-parser.ts";

/** The body parser thread (write-body-parser.ts): gathers each request's chunks, parses a body once it is whole. */
const port = parentPort!;
const bodies = new Map<number, { request: WriteBodyKind; chunks: Uint8Array[] }>();

port.on("message", (message: ParserRequest) => {
  if (message.kind === "open") {
    bodies.set(message.id, { request: message.request, chunks: [] });
  } else if (message.kind === "chunk") {
    bodies.get(message.id)?.chunks.push(message.chunk);
  } else if (message.kind === "abort") {
    bodies.delete(message.id);
  } else {
    const body = bodies.get(message.id);
    bodies.delete(message.id);
    if (body === undefined) return;
    const { id } = message;
    try {
      // Each record of a batch goes back on its own, so the main thread takes them in small steps.
      const result = parseOnThisThread(Buffer.concat(body.chunks), body.request, (record, index) =>
        port.postMessage({ id, record, index } satisfies ParserResponse),
      );
      port.postMessage({ id, result } satisfies ParserResponse);
    } catch (error) {
      port.postMessage({ id, error: serialiseWorkerError(error) } satisfies ParserResponse);
    }
  }
});
