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
 * Run from the sources, the worker is TypeScript, and on Node 20 a worker does not inherit the
 * parent's module hooks, so a small CommonJS bootstrap registers tsx in the worker before
 * importing the real entry. Run from the build (dist/), the entry is plain JavaScript.
 */
const fromSources = import.meta.url.endsWith(".ts");
const workerEntryUrl = new URL(fromSources ? "./embed-worker.ts" : "./embed-worker.js", import.meta.url).href;
const registerTsx = fromSources
  ? `import(${JSON.stringify(pathToFileURL(join(dirname(createRequire(import.meta.url).resolve("tsx/package.json")), "dist/esm/api/index.mjs")).href)}).then(({ register }) => register())`
  : "Promise.resolve()";
const workerBootstrap = `
${registerTsx}
  .then(() => import(${JSON.stringify(workerEntryUrl)}))
  .catch((error) => { require("node:worker_threads").parentPort.postMessage({ kind: "failed", message: String(error && error.stack || error) }); });
`;

/**
 * Worker threads running one model instance each, shared by every embedder of the same model
 * in the process. They are never terminated: onnxruntime-node 1.14 corrupts the heap when
 * threads that loaded it are terminated and new ones started (see use-lite-onnx-embedder.ts),
 * so a pool lives as long as the process, and idle pools are unref'd so they do not keep it
 * alive.
 */
class ModelWorkers {
  readonly modelId: string;
  readonly dimensions: number;
  readonly #workers: PoolWorker[];
  readonly #queue: PendingBatch[] = [];
  #nextId = 0;
  #leases = 0;

  constructor(ready: { modelId: string; dimensions: number }, workers: Worker[]) {
    this.modelId = ready.modelId;
    this.dimensions = ready.dimensions;
    this.#workers = workers.map((worker) => ({ worker, busy: null }));
    for (const entry of this.#workers) this.#listen(entry);
  }

  get size(): number {
    return this.#workers.length;
  }

  lease(): void {
    if (this.#leases++ === 0) for (const { worker } of this.#workers) worker.ref();
  }

  release(): void {
    if (--this.#leases === 0) for (const { worker } of this.#workers) worker.unref();
  }

  submit(texts: string[], role: EmbedRole): Promise<Float32Array[]> {
    return new Promise((resolve, reject) => {
      this.#queue.push({ request: { id: this.#nextId++, texts, role }, resolve, reject });
      this.#dispatch();
    });
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

const sharedWorkers = new Map<string, Promise<ModelWorkers>>();

/**
 * An embedder backed by worker threads, one model instance per worker, so embedding never
 * blocks the event loop (requests keep being answered while a batch is embedded) and indexing
 * uses every core. Calls are split into batches of `batchSize` texts spread over idle workers;
 * results come back in input order. Embedders of the same model and worker count share their
 * workers; `close()` releases this one's share.
 *
 * @example
 *   const embedder = await WorkerPoolEmbedder.start({ modelId: "google/use-lite", modelsDir: "models" }, 2);
 *   const [vector] = await embedder.embed(["Pentagon denies halt to cyber operations"]);
 */
export class WorkerPoolEmbedder implements Embedder {
  readonly modelId: string;
  readonly dimensions: number;
  readonly #workers: ModelWorkers;
  readonly #batchSize: number;
  #closed = false;

  private constructor(workers: ModelWorkers, batchSize: number) {
    this.modelId = workers.modelId;
    this.dimensions = workers.dimensions;
    this.#workers = workers;
    this.#batchSize = batchSize;
    workers.lease();
  }

  /** Starts (or joins) `workerCount` workers for the model and waits until each has loaded it. */
  static async start(spec: EmbedderSpec, workerCount: number, batchSize = 32): Promise<WorkerPoolEmbedder> {
    const count = Math.max(1, workerCount);
    const key = JSON.stringify([spec.modelId, spec.modelsDir, count]);
    let workers = sharedWorkers.get(key);
    if (workers === undefined) {
      workers = startWorkers(spec, count);
      sharedWorkers.set(key, workers);
      workers.catch(() => sharedWorkers.delete(key));
    }
    return new WorkerPoolEmbedder(await workers, batchSize);
  }

  get workerCount(): number {
    return this.#workers.size;
  }

  async embed(texts: readonly string[], role: EmbedRole = "passage"): Promise<Float32Array[]> {
    if (this.#closed) throw new Error("The embedder is closed.");
    const batches: Promise<Float32Array[]>[] = [];
    for (let start = 0; start < texts.length; start += this.#batchSize) {
      batches.push(this.#workers.submit(texts.slice(start, start + this.#batchSize), role));
    }
    return (await Promise.all(batches)).flat();
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#workers.release();
  }
}

async function startWorkers(spec: EmbedderSpec, count: number): Promise<ModelWorkers> {
  const started = await Promise.allSettled(Array.from({ length: count }, () => startWorker(spec)));
  const failure = started.find((result) => result.status === "rejected");
  if (failure !== undefined) {
    // Workers that did load stay parked (unref'd) rather than terminated; see ModelWorkers.
    for (const result of started) if (result.status === "fulfilled") result.value.worker.unref();
    throw (failure as PromiseRejectedResult).reason;
  }
  const workers = started.map((result) => (result as PromiseFulfilledResult<{ worker: Worker; ready: { modelId: string; dimensions: number } }>).value);
  const pool = new ModelWorkers(workers[0]!.ready, workers.map(({ worker }) => worker));
  for (const { worker } of workers) worker.unref();
  return pool;
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
