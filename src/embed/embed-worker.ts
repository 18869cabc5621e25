import { parentPort, workerData } from "node:worker_threads";
import type { EmbedderSpec, EmbedRole } from "./embedder.ts";
import { createLocalEmbedder } from "./local-embedders.ts";

/** Messages between the pool and a worker. */
export type WorkerRequest = { id: number; texts: string[]; role: EmbedRole };
export type WorkerResponse =
  | { kind: "ready"; modelId: string; dimensions: number }
  | { kind: "failed"; message: string }
  | { id: number; vectors: Float32Array[] }
  | { id: number; error: string };

const port = parentPort!;
const spec = workerData as EmbedderSpec;

try {
  const embedder = await createLocalEmbedder(spec);
  port.postMessage({ kind: "ready", modelId: embedder.modelId, dimensions: embedder.dimensions } satisfies WorkerResponse);
  port.on("message", async (request: WorkerRequest) => {
    try {
      const vectors = await embedder.embed(request.texts, request.role);
      port.postMessage({ id: request.id, vectors } satisfies WorkerResponse, [...new Set(vectors.map((vector) => vector.buffer as ArrayBuffer))]);
    } catch (error) {
      port.postMessage({ id: request.id, error: (error as Error).message } satisfies WorkerResponse);
    }
  });
} catch (error) {
  port.postMessage({ kind: "failed", message: (error as Error).message } satisfies WorkerResponse);
}
