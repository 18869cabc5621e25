import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { pathToFileURL } from "node:url";
import { Worker } from "node:worker_threads";
import { KindredError } from "../core/errors.ts";
import type { EmbedRole, Embedder } from "./embedder.ts";
import type { WorkerRequest, WorkerResponse } from "./embed-worker.ts";
import type { EmbedderSpec } from "./local-embedders.ts";

interface PendingBatch {
  request: WorkerRequest;
  resolve: (vectors: Float32Array[]) => void;
  reject: (error: Error) => void;
}

interface PoolWorker {
  worker: Worker;
  busy: PendingBatch | null;
}

/**
 * The worker is TypeScript. On Node 20 a worker does not inherit the parent's module hooks, so
 * a small CommonJS bootstrap registers tsx in the worker before importing the real entry.
 */
const tsxApiUrl = pathToFileURL(join(dirname(createRequire(import.meta.url).resolve("tsx/package.json")), "dist/esm/api/index.mjs")).href;
const workerBootstrap = `
import(${JSON.stringify(tsxApiUrl)})
  .then(({ register }) => { register(); return import(${JSON.stringify(new URL("./embed-worker.ts", import.meta.url).href)}); })
  .catch((error) => { require("node:worker_threads").parentPort.postMessage({ kind: "failed", message: String(error && error.stack || error) }); });
`;

/**
 * Runs a model in worker threads, one model instance per worker, so embedding never blocks
 * the event loop (requests keep being answered while a batch is embedded) and indexing uses
 * every core. Calls are split into batches and spread over idle workers; results come back
 * in input order.
 *
 * @example
 *   const embedder = await WorkerPoolEmbedder.start({ modelId: "google/use-lite", modelsDir: "models" }, 2);
 *   const [vector] = await embedder.embed(["Pentagon denies halt to cyber operations"]);
 */
export class WorkerPoolEmbedder implements Embedder {
  readonly modelId: string;
  readonly dimensions: number;
  readonly #workers: PoolWorker[];
  readonly #queue: PendingBatch[] = [];
  readonly #batchSize: number;
  #nextId = 0;
  #closed = false;

  private constructor(modelId: string, dimensions: number, workers: PoolWorker[], batchSize: number) {
    this.modelId = modelId;
    this.dimensions = dimensions;
    this.#workers = workers;
    this.#batchSize = batchSize;
    for (const entry of workers) this.#listen(entry);
  }

  /** Starts `workerCount` workers and waits until each has loaded the model. */
  static async start(spec: EmbedderSpec, workerCount: number, batchSize = 32): Promise<WorkerPoolEmbedder> {
    const workers = await Promise.all(Array.from({ length: Math.max(1, workerCount) }, () => startWorker(spec)));
    const first = workers[0]!;
    return new WorkerPoolEmbedder(first.ready.modelId, first.ready.dimensions, workers.map(({ worker }) => ({ worker, busy: null })), batchSize);
  }

  get workerCount(): number {
    return this.#workers.length;
  }

  async embed(texts: readonly string[], role: EmbedRole = "passage"): Promise<Float32Array[]> {
    if (this.#closed) throw new Error("The embedder is closed.");
    const batches: Promise<Float32Array[]>[] = [];
    for (let start = 0; start < texts.length; start += this.#batchSize) {
      const slice = texts.slice(start, start + this.#batchSize);
      batches.push(
        new Promise((resolve, reject) => {
          this.#queue.push({ request: { id: this.#nextId++, texts: [...slice], role }, resolve, reject });
        }),
      );
    }
    this.#dispatch();
    return (await Promise.all(batches)).flat();
  }

  async close(): Promise<void> {
    this.#closed = true;
    for (const pending of this.#queue.splice(0)) pending.reject(new Error("The embedder was closed."));
    await Promise.all(this.#workers.map(({ worker }) => worker.terminate()));
  }

  #dispatch(): void {
    for (const entry of this.#workers) {
      if (entry.busy !== null) continue;
      const next = this.#queue.shift();
      if (next === undefined) return;
      entry.busy = next;
      entry.worker.postMessage(next.request);
    }
  }

  #listen(entry: PoolWorker): void {
    entry.worker.on("message", (message: WorkerResponse) => {
      const pending = entry.busy;
      if (pending === null || !("id" in message) || message.id !== pending.request.id) return;
      entry.busy = null;
      if ("error" in message) pending.reject(new KindredError("model_unavailable", `Embedding failed: ${message.error}`));
      else pending.resolve(message.vectors);
      this.#dispatch();
    });
    entry.worker.on("error", (error) => {
      entry.busy?.reject(error);
      entry.busy = null;
    });
  }
}

async function startWorker(spec: EmbedderSpec): Promise<{ worker: Worker; ready: { modelId: string; dimensions: number } }> {
  const worker = new Worker(workerBootstrap, { eval: true, workerData: spec });
  const ready = await new Promise<{ modelId: string; dimensions: number }>((resolve, reject) => {
    const onMessage = (message: WorkerResponse) => {
      if (!("kind" in message)) return;
      worker.off("message", onMessage);
      if (message.kind === "ready") resolve(message);
      else reject(new KindredError("model_unavailable", `The model "${spec.modelId}" failed to load: ${message.message}`, { model: spec.modelId }));
    };
    worker.on("message", onMessage);
    worker.once("error", reject);
    worker.once("exit", (code) => reject(new Error(`The embedding worker exited with code ${code} before loading the model.`)));
  });
  worker.removeAllListeners("error");
  worker.removeAllListeners("exit");
  return { worker, ready };
}
