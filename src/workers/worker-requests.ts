import { parentPort, Worker } from "node:worker_threads";
import { type ErrorCode, isKindredError, KindredError } from "../core/errors.ts";

/** What a request-answering worker thread posts back: once ready (or failed), then one answer per request id. */
export type WorkerAnswer =
  | { kind: "ready" }
  | { kind: "failed"; message: string }
  | { id: number; result: unknown }
  | { id: number; error: { message: string; code?: ErrorCode; details?: Record<string, unknown> } };

/**
 * A worker thread that answers requests one at a time (the store writer, the journal writer):
 * `call` posts a request with an id and resolves with the answer of that id. A KindredError
 * thrown in the thread is rebuilt here with its code, so it becomes the same problem.
 */
export class WorkerRequests<Request extends { kind: string }> {
  readonly #worker: Worker;
  readonly #name: string;
  readonly #pending = new Map<number, { resolve: (value: unknown) => void; reject: (error: Error) => void }>();
  #nextId = 1;
  #failure: Error | null = null;

  private constructor(worker: Worker, name: string) {
    this.#worker = worker;
    this.#name = name;
    worker.on("message", (message: WorkerAnswer) => {
      if (!("id" in message)) return;
      const pending = this.#pending.get(message.id);
      if (pending === undefined) return;
      this.#pending.delete(message.id);
      if (this.#pending.size === 0) worker.unref();
      if ("error" in message) {
        const { code, details, message: text } = message.error;
        pending.reject(code === undefined ? new Error(text) : new KindredError(code, text, details));
      } else {
        pending.resolve(message.result);
      }
    });
    const fail = (error: Error) => {
      this.#failure = error;
      for (const pending of this.#pending.values()) pending.reject(error);
      this.#pending.clear();
    };
    worker.on("error", fail);
    worker.on("exit", (code) => fail(new Error(`The ${name} thread exited (code ${code}).`)));
    worker.unref();
  }

  /** Starts the thread (`source` as from workerBootstrapSource); resolves once it posts that it is ready. */
  static async start<Request extends { kind: string }>(source: string, workerData: unknown, name: string): Promise<WorkerRequests<Request>> {
    const worker = new Worker(source, { eval: true, workerData });
    await new Promise<void>((resolve, reject) => {
      const onMessage = (message: WorkerAnswer) => {
        if (!("kind" in message)) return;
        worker.off("message", onMessage);
        if (message.kind === "ready") resolve();
        else reject(new Error(`The ${name} thread failed to start: ${message.message}`));
      };
      worker.on("message", onMessage);
      worker.once("error", reject);
      worker.once("exit", (code) => reject(new Error(`The ${name} thread exited with code ${code} before it was ready.`)));
    });
    worker.removeAllListeners("error");
    worker.removeAllListeners("exit");
    return new WorkerRequests<Request>(worker, name);
  }

  call(request: Request): Promise<unknown> {
    if (this.#failure !== null) return Promise.reject(this.#failure);
    const id = this.#nextId++;
    return new Promise((resolve, reject) => {
      // Referenced while a request is out: awaiting the thread must keep the process alive (a
      // CLI run has nothing else pending); idle, it must not.
      if (this.#pending.size === 0) this.#worker.ref();
      this.#pending.set(id, { resolve, reject });
      this.#worker.postMessage({ ...request, id });
    });
  }

  async close(): Promise<void> {
    this.#failure ??= new Error(`The ${this.#name} is closed.`);
    await this.#worker.terminate();
  }
}

/** The error as a worker thread posts it: a KindredError keeps its code, so it becomes the same problem. */
export function serialiseWorkerError(error: unknown): Extract<WorkerAnswer, { error: unknown }>["error"] {
  if (isKindredError(error)) return { message: error.message, code: error.code, details: { ...error.details } };
  return { message: (error as Error)?.message ?? String(error) };
}

/**
 * The thread's side of WorkerRequests: opens what the thread serves (`open`), posts ready (or
 * failed, with the reason), then answers each request by its id, one at a time, an error
 * serialised so that the caller rebuilds it.
 */
export function answerWorkerRequests<Request>(open: () => (request: Request) => unknown): void {
  const port = parentPort!;
  try {
    const handle = open();
    port.postMessage({ kind: "ready" } satisfies WorkerAnswer);
    port.on("message", (request: Request & { id: number }) => {
      try {
        port.postMessage({ id: request.id, result: handle(request) } satisfies WorkerAnswer);
      } catch (error) {
        port.postMessage({ id: request.id, error: serialiseWorkerError(error) } satisfies WorkerAnswer);
      }
    });
  } catch (error) {
    port.postMessage({ kind: "failed", message: (error as Error).stack ?? String(error) } satisfies WorkerAnswer);
  }
}
