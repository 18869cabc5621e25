import cluster, { type Worker } from "node:cluster";
import { availableParallelism, freemem } from "node:os";
import type { Logger } from "../log/logger.ts";

/**
 * `kindred serve` on every core: a primary process forks one writer and N-1 readers
 * (node:cluster shares the port and hands connections round-robin). Each worker holds its own
 * graph, exact index, catalog and document index over the one SQLite store. The writer takes
 * every write (readers forward them, http/worker-routing.ts), saves the graph and compacts it;
 * readers follow the store's change log. A write is answered only once every reader has
 * replayed it (a barrier through the primary), so a read after a write's answer sees it
 * whichever worker answers, and lists stay exact. A reader that does not catch up within
 * `barrierTimeoutMs` is stopped and replaced rather than left serving stale lists.
 *
 * Messages (process.send): worker -> primary `hello` (it listens for messages now: one sent
 * before is lost), primary -> worker `role`, `sync`, `listen`, `barrier-done`;
 * writer -> primary `writer-ready`, `barrier`; reader -> primary `opened`, `synced`, `listening`.
 */
export type WorkerMessage =
  | { kind: "hello" }
  | { kind: "role"; role: "writer" } // sent to the first worker
  | { kind: "role"; role: "reader"; writerUrl: string; name: string }
  | { kind: "writer-ready"; writerUrl: string; port: number; rssBytes: number; articles: number; modelId: string }
  | { kind: "opened"; appliedSeq: number }
  | { kind: "sync"; id: number; seq: number }
  | { kind: "synced"; id: number; appliedSeq: number }
  | { kind: "listen" }
  | { kind: "listening" }
  | { kind: "barrier"; id: number; seq: number }
  | { kind: "barrier-done"; id: number };

/** How long a write waits for every reader to replay it before the laggard is replaced. */
const barrierTimeoutMs = 30_000;
/** Memory left to the rest of the machine when choosing how many readers fit. */
const memoryShare = 0.8;
/** Reader restarts allowed per minute before the primary stops replacing them. */
const maxRestartsPerMinute = 5;

/**
 * How many HTTP workers `auto` means: one per core, but no more readers than free memory holds
 * at the writer's size (each reader holds a full copy of the in-memory indexes).
 */
export function chooseReaderCount(setting: number | "auto", writerRssBytes: number, logger: Logger): number {
  if (setting !== "auto") return setting - 1;
  const cores = availableParallelism();
  const fit = Math.floor((freemem() * memoryShare) / Math.max(1, writerRssBytes));
  const readers = Math.max(0, Math.min(cores - 1, fit));
  if (readers < cores - 1) logger.warn({ cores, readers, writerRssBytes, freeBytes: freemem() }, "fewer HTTP readers than cores: memory holds no more");
  return readers;
}

/**
 * V8 settings the primary starts every HTTP process with. V8's concurrent markers do a full
 * collection's marking on helper threads while JavaScript runs; on a machine whose cores all
 * serve requests those threads wait for a core, and a cycle whose markers fell behind is
 * finished on the main thread in one long pause that every request in flight waits out (the
 * paced p99 of issue 14, docs/performance.md, "Full collections on a busy machine"). Without
 * them V8 marks incrementally in small steps on the main thread between requests, which costs
 * a little throughput and no long pauses.
 */
export const httpWorkerV8Flags: readonly string[] = ["--no-concurrent-marking"];

/**
 * V8 settings the primary also starts the writer with. The writer allocates much of its garbage in
 * objects that outlive a young-generation collection (a write's texts, passages and vectors
 * wait through embedding, the write queue and the reader barrier), so its old generation fills
 * with garbage; V8 then sizes the heap by how fast the process allocates and collects, and on a
 * fast machine under a steady write load lets it grow to several times the live data between
 * full collections, which the soak saw as the writer's resident memory growing by hundreds of
 * MiB while the reader, holding the same indexes, stayed flat. A fixed growing factor (the next
 * full collection once the heap is this much above what the last one left) keeps the heap near
 * its live size, at the cost of more frequent full collections.
 *
 * Readers keep V8's heap sizing, as a single-process server does: computing lists promotes a
 * steady stream of objects to the old generation, and under the fixed factor a reader ran full
 * collections again and again under read load, whose marking took the cores the other process
 * needed and queued the requests behind it (docs/performance.md, "the readers' fixed heap
 * growing factor"). A flag already on the command line wins for every process
 * (docs/operations.md).
 */
export const writerV8Flags: readonly string[] = [...httpWorkerV8Flags, "--heap-growing-percent=30"];

/** A forked process's `execArgv`: the primary's plus each of `flags` that it does not already set. */
export function workerExecArgv(execArgv: readonly string[], flags: readonly string[]): string[] {
  const flagName = (argument: string) =>
    argument
      .split("=")[0]!
      .replaceAll("_", "-")
      .replace(/^--no-/, "--");
  const set = new Set(execArgv.map(flagName));
  return [...execArgv, ...flags.filter((flag) => !set.has(flagName(flag)))];
}

/** The primary of a multi-process `kindred serve`: forks, coordinates barriers, restarts readers, stops them all. */
export async function runServePrimary(options: { workers: number | "auto"; host: string; logger: Logger }): Promise<number> {
  const { logger } = options;
  let writer: Worker | null = null;
  let writerInfo: Extract<WorkerMessage, { kind: "writer-ready" }> | null = null;
  const live = new Set<Worker>();
  let shuttingDown = false;
  let highestBarrierSeq = -1;
  let nextReaderName = 2;
  let nextSyncId = 1;
  const restarts: number[] = [];
  /** Open barriers: the readers each still waits for. */
  const barriers = new Map<number, { waiting: Set<Worker>; timer: NodeJS.Timeout }>();
  /** Syncs sent to a reader before it goes live: id -> reader. */
  const joining = new Map<number, Worker>();
  let readyPrinted = false;
  let readersWanted = 0;

  const send = (worker: Worker, message: WorkerMessage) => {
    if (worker.isConnected()) worker.send(message);
  };
  const finishBarrier = (id: number) => {
    const barrier = barriers.get(id);
    if (barrier === undefined || barrier.waiting.size > 0) return;
    clearTimeout(barrier.timer);
    barriers.delete(id);
    if (writer !== null) send(writer, { kind: "barrier-done", id });
  };
  const printReady = () => {
    if (readyPrinted || writerInfo === null || live.size < readersWanted) return;
    readyPrinted = true;
    const host = options.host === "0.0.0.0" ? "localhost" : options.host;
    process.stdout.write(
      `kindred ready: ${writerInfo.articles} articles, model ${writerInfo.modelId}, ${live.size + 1} HTTP workers (1 writer, ${live.size} reader${live.size === 1 ? "" : "s"}), listening on http://${host}:${writerInfo.port}\n`,
    );
  };
  const forkReader = () => {
    const name = String(nextReaderName++);
    // Settings apply to the forks that follow: a reader gets the primary's own flags and the HTTP processes' ones.
    cluster.setupPrimary({ execArgv: workerExecArgv(process.execArgv, httpWorkerV8Flags) });
    const reader = cluster.fork();
    reader.on("message", (message: WorkerMessage) => {
      if (message.kind === "hello") send(reader, { kind: "role", role: "reader", writerUrl: writerInfo!.writerUrl, name });
      else onReaderMessage(reader, message);
    });
  };
  const syncJoining = (reader: Worker) => {
    const id = nextSyncId++;
    joining.set(id, reader);
    send(reader, { kind: "sync", id, seq: highestBarrierSeq });
  };
  const onReaderMessage = (reader: Worker, message: WorkerMessage) => {
    if (message.kind === "opened") syncJoining(reader);
    else if (message.kind === "synced") {
      if (joining.get(message.id) === reader) {
        joining.delete(message.id);
        // A barrier may have passed while it caught up: it goes live only once it holds every acknowledged write.
        if (message.appliedSeq < highestBarrierSeq) syncJoining(reader);
        else {
          live.add(reader);
          send(reader, { kind: "listen" });
        }
        return;
      }
      const barrier = barriers.get(message.id);
      barrier?.waiting.delete(reader);
      finishBarrier(message.id);
    } else if (message.kind === "listening") printReady();
  };
  const onWriterMessage = (message: WorkerMessage) => {
    if (message.kind === "hello") send(writer!, { kind: "role", role: "writer" });
    else if (message.kind === "writer-ready") {
      writerInfo = message;
      readersWanted = chooseReaderCount(options.workers, message.rssBytes, logger);
      logger.info({ readers: readersWanted }, "starting HTTP readers");
      for (let i = 0; i < readersWanted; i++) forkReader();
      printReady();
    } else if (message.kind === "barrier") {
      highestBarrierSeq = Math.max(highestBarrierSeq, message.seq);
      const waiting = new Set(live);
      const timer = setTimeout(() => {
        for (const reader of waiting) {
          logger.error({ reader: reader.id, seq: message.seq }, "an HTTP reader did not apply a write in time; replacing it");
          reader.process.kill("SIGKILL");
        }
      }, barrierTimeoutMs);
      barriers.set(message.id, { waiting, timer });
      for (const reader of waiting) send(reader, { kind: "sync", id: message.id, seq: message.seq });
      finishBarrier(message.id);
    }
  };

  cluster.on("exit", (worker, code, signal) => {
    if (worker === writer) {
      writer = null;
      if (!shuttingDown) {
        // Before it was ready it has said why (a busy port, a bad index) on the shared stderr.
        if (writerInfo !== null) logger.error({ code, signal }, "the HTTP writer process exited; stopping the readers");
        void stopAll(1);
      }
      return;
    }
    live.delete(worker);
    for (const [id, reader] of joining) if (reader === worker) joining.delete(id);
    for (const [id, barrier] of barriers) {
      barrier.waiting.delete(worker);
      finishBarrier(id);
    }
    if (shuttingDown) return;
    const now = Date.now();
    restarts.push(now);
    while (restarts.length > 0 && restarts[0]! < now - 60_000) restarts.shift();
    if (restarts.length > maxRestartsPerMinute) {
      logger.error({ code, signal }, "HTTP readers keep exiting; not replacing this one");
      return;
    }
    logger.warn({ code, signal }, "an HTTP reader exited; starting another");
    forkReader();
  });

  let stopping: Promise<void> | null = null;
  const stopAll = (exitCode: number) => {
    shuttingDown = true;
    stopping ??= (async () => {
      const running = (worker: Worker | undefined): worker is Worker =>
        worker !== undefined && worker.process.exitCode === null && worker.process.signalCode === null;
      const workers = Object.values(cluster.workers ?? {}).filter(running);
      const exits = workers.map((worker) => new Promise((resolve) => worker.once("exit", resolve)));
      for (const worker of workers) worker.process.kill("SIGTERM");
      await Promise.race([Promise.all(exits), new Promise((resolve) => setTimeout(resolve, 30_000).unref())]);
      process.exit(exitCode);
    })();
    return stopping;
  };
  process.once("SIGINT", () => void stopAll(0));
  process.once("SIGTERM", () => void stopAll(0));

  cluster.setupPrimary({ execArgv: workerExecArgv(process.execArgv, writerV8Flags) });
  writer = cluster.fork();
  writer.on("message", onWriterMessage);
  return new Promise<number>(() => {});
}

/** A worker's role, as the primary sends it once the worker is up. */
export function receiveWorkerRole(): Promise<Extract<WorkerMessage, { kind: "role" }>> {
  return new Promise((resolve) => {
    const onMessage = (message: WorkerMessage) => {
      if (message.kind !== "role") return;
      process.off("message", onMessage);
      resolve(message);
    };
    process.on("message", onMessage);
    sendToPrimary({ kind: "hello" });
  });
}

export function sendToPrimary(message: WorkerMessage): void {
  process.send?.(message);
}

/** In the writer: resolves once every live reader has applied the store up to `seq`. */
export function createReaderBarrier(): (seq: number) => Promise<void> {
  let nextId = 1;
  const pending = new Map<number, () => void>();
  process.on("message", (message: WorkerMessage) => {
    if (message.kind !== "barrier-done") return;
    pending.get(message.id)?.();
    pending.delete(message.id);
  });
  return (seq) =>
    new Promise<void>((resolve) => {
      const id = nextId++;
      pending.set(id, resolve);
      sendToPrimary({ kind: "barrier", id, seq });
    });
}

/**
 * In a reader: answers the primary's `sync` requests by replaying the store's change log until
 * the indexes hold `seq` (or nothing more is there to replay), and waits for `listen`.
 */
export function followPrimary(engine: { appliedSeq: number; syncFromStore(): Promise<number> }, logger: Logger): { listen: Promise<void> } {
  let startListening: () => void = () => {};
  const listen = new Promise<void>((resolve) => (startListening = resolve));
  process.on("message", (message: WorkerMessage) => {
    if (message.kind === "listen") startListening();
    if (message.kind !== "sync") return;
    void (async () => {
      try {
        for (let round = 0; engine.appliedSeq < message.seq; round++) {
          const applied = await engine.syncFromStore();
          // Nothing more to replay yet the store is behind the barrier: only a reload can say; give up this round.
          if (applied === 0 && round > 100) break;
        }
      } catch (error) {
        logger.error({ err: error }, "store sync for a write barrier failed");
      }
      sendToPrimary({ kind: "synced", id: message.id, appliedSeq: engine.appliedSeq });
    })();
  });
  return { listen };
}
