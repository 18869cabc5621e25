import { availableParallelism, cpus } from "node:os";
import { performance } from "node:perf_hooks";
import { Worker } from "node:worker_threads";
import { KindredError } from "../core/errors.ts";
import { workerBootstrapSource } from "../workers/worker-bootstrap.ts";
import type { WorkerRequest, WorkerResponse } from "./embed-worker.ts";
import type { Embedder, EmbedderSpec, EmbedRole } from "./embedder.ts";
import { groupBySimilarLength } from "./pack-token-batches.ts";

interface PendingBatch {
  request: WorkerRequest;
  resolve: (vectors: Float32Array[]) => void;
  reject: (error: Error) => void;
}

interface PoolWorker {
  worker: Worker;
  busy: PendingBatch | null;
}

const workerBootstrap = workerBootstrapSource("embed/embed-worker");

/**
 * How many workers a pool may keep busy. `fixed`: exactly that many, started together.
 * `adaptive`: one, plus another (up to `upTo`, started when first wanted) only while the
 * process as a whole (main thread, store writer, workers) leaves a core idle and the machine
 * really has one idle (process.cpuUsage() and the kernel's idle time): a second worker beside
 * threads that already fill the cores, or on a machine other processes keep busy, only makes
 * each slower (docs/performance.md), while one that finds a core idle adds its rate. The same
 * rule leaves a core to a server's reads under load.
 */
export type WorkerPlan = { kind: "fixed"; count: number } | { kind: "adaptive"; upTo: number };

/**
 * Embedding workers when none are configured: up to one worker per core (at most 4, one model
 * instance each). A server's pool is adaptive, using more than one only while the rest of the
 * process leaves cores idle, so reads keep a core. A bulk load (`kindred index`) starts them
 * all at once: it is the machine's job while it runs, its main thread and store writer leave
 * most of a core idle while the model works, and the adaptive rule, sampling a process busy
 * reading and preparing, admitted the second worker too late to help (docs/performance.md).
 */
export function defaultWorkerPlan(cores: number = availableParallelism(), use: "serve" | "bulk" = "serve"): WorkerPlan {
  const upTo = Math.max(1, Math.min(cores, 4));
  return use === "bulk" ? { kind: "fixed", count: upTo } : { kind: "adaptive", upTo };
}

/** How often the process's CPU use is sampled for an adaptive pool. */
const loadSampleMs = 250;

/** Idle time of all cores together since boot, in milliseconds (the kernel's count). */
function machineIdleMs(): number {
  let idle = 0;
  for (const core of cpus()) idle += core.times.idle;
  return idle;
}

/**
 * Worker threads running one model instance each, shared by every embedder of the same model
 * in the process. They are never terminated: onnxruntime-node 1.14 corrupted the heap when
 * threads that loaded it were terminated and new ones started (see use-lite-onnx-embedder.ts),
 * so a pool lives as long as the process, and idle pools are unref'd so they do not keep it
 * alive.
 */
class ModelWorkers {
  readonly modelId: string;
  readonly dimensions: number;
  readonly #spec: EmbedderSpec;
  readonly #plan: WorkerPlan;
  readonly #workers: PoolWorker[] = [];
  readonly #queue: PendingBatch[] = [];
  #nextId = 0;
  #leases = 0;
  #starting = false;
  #loadSample = { at: performance.now(), cpu: process.cpuUsage(), idleMs: machineIdleMs() };
  /** Cores left idle in the last sample: by this process and by the machine; none until measured. */
  #idleCores = 0;

  constructor(spec: EmbedderSpec, plan: WorkerPlan, ready: { modelId: string; dimensions: number }, workers: Worker[]) {
    this.modelId = ready.modelId;
    this.dimensions = ready.dimensions;
    this.#spec = spec;
    this.#plan = plan;
    for (const worker of workers) this.#add(worker);
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
    let working = this.#workers.filter((entry) => entry.busy !== null).length;
    const allowed = this.#allowedWorkers(working);
    for (const entry of this.#workers) {
      if (this.#queue.length === 0 || working >= allowed) return;
      if (entry.busy !== null) continue;
      const next = this.#queue.shift()!;
      entry.busy = next;
      entry.worker.postMessage(next.request);
      working++;
    }
    if (this.#queue.length > 0 && this.#workers.length < allowed) this.#startAnother();
  }

  #allowedWorkers(working: number): number {
    if (this.#plan.kind === "fixed") return this.#plan.count;
    const now = performance.now();
    if (now - this.#loadSample.at >= loadSampleMs) {
      const elapsedMs = now - this.#loadSample.at;
      const used = process.cpuUsage(this.#loadSample.cpu);
      const processCores = (used.user + used.system) / 1000 / elapsedMs;
      const idleMs = machineIdleMs();
      const machineIdleCores = (idleMs - this.#loadSample.idleMs) / elapsedMs;
      this.#idleCores = Math.min(availableParallelism() - processCores, machineIdleCores);
      this.#loadSample = { at: now, cpu: process.cpuUsage(), idleMs };
    }
    // One more worker than are busy only while a core is idle, in the process and on the machine.
    return Math.max(1, Math.min(this.#plan.upTo, working + Math.round(this.#idleCores)));
  }

  #startAnother(): void {
    if (this.#starting) return;
    this.#starting = true;
    startWorker(this.#spec)
      .then(({ worker }) => {
        this.#add(worker);
        this.#dispatch();
      })
      // A worker that fails to load leaves the pool as it was; the first one loaded the same model.
      .catch(() => undefined)
      .finally(() => (this.#starting = false));
  }

  #add(worker: Worker): void {
    const entry = { worker, busy: null };
    this.#workers.push(entry);
    // Listening first: a "message" listener refs the worker again, and a worker added with no
    // lease out (one that finished loading after the last embedder closed) must not keep the
    // process alive.
    this.#listen(entry);
    if (this.#leases === 0) worker.unref();
    else worker.ref();
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
 * uses every core. Calls are split into batches of `batchSize` texts of similar length (the
 * passages of every article in the call packed together) spread over idle workers; results
 * come back in input order. Embedders of the same model and worker count share their
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

  /**
   * Starts (or joins) the workers for the model and waits until they have loaded it: `workers`
   * of them, or one that adds more as the work allows (`{ kind: "adaptive", upTo }`).
   */
  static async start(spec: EmbedderSpec, workers: number | WorkerPlan, batchSize = 32): Promise<WorkerPoolEmbedder> {
    const plan: WorkerPlan = typeof workers === "number" ? { kind: "fixed", count: Math.max(1, workers) } : workers;
    const key = JSON.stringify([spec.modelId, spec.modelsDir, plan]);
    let pool = sharedWorkers.get(key);
    if (pool === undefined) {
      pool = startWorkers(spec, plan);
      sharedWorkers.set(key, pool);
      pool.catch(() => sharedWorkers.delete(key));
    }
    return new WorkerPoolEmbedder(await pool, batchSize);
  }

  /** The workers started so far (an adaptive pool adds some as it goes). */
  get workerCount(): number {
    return this.#workers.size;
  }

  async embed(texts: readonly string[], role: EmbedRole = "passage"): Promise<Float32Array[]> {
    if (this.#closed) throw new Error("The embedder is closed.");
    const groups = groupBySimilarLength(texts, this.#batchSize);
    const embedded = await Promise.all(
      groups.map((group) =>
        this.#workers.submit(
          group.map((index) => texts[index]!),
          role,
        ),
      ),
    );
    const vectors = new Array<Float32Array>(texts.length);
    groups.forEach((group, groupIndex) => group.forEach((index, row) => (vectors[index] = embedded[groupIndex]![row]!)));
    return vectors;
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#workers.release();
  }
}

async function startWorkers(spec: EmbedderSpec, plan: WorkerPlan): Promise<ModelWorkers> {
  const count = plan.kind === "fixed" ? plan.count : 1;
  const started = await Promise.allSettled(Array.from({ length: count }, () => startWorker(spec)));
  const failure = started.find((result) => result.status === "rejected");
  if (failure !== undefined) {
    // Workers that did load stay parked (unref'd) rather than terminated; see ModelWorkers.
    for (const result of started) if (result.status === "fulfilled") result.value.worker.unref();
    throw (failure as PromiseRejectedResult).reason;
  }
  const workers = started.map((result) => (result as PromiseFulfilledResult<{ worker: Worker; ready: { modelId: string; dimensions: number } }>).value);
  return new ModelWorkers(
    spec,
    plan,
    workers[0]!.ready,
    workers.map(({ worker }) => worker),
  );
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
