import { createRequire } from "node:module";
import { Worker } from "node:worker_threads";
import { type HnswParameters, hnswInitOptions } from "./hnsw-vector-index.ts";

/** What the worker builds: one row of `vectors` per label, in order. */
export interface GraphBuildInput {
  dimensions: number;
  parameters: HnswParameters;
  /** Capacity of the new graph (room to grow before the first resize). */
  capacity: number;
  labels: Float64Array;
  /** `labels.length * dimensions` floats. */
  vectors: Float32Array;
  /** Where to write the graph (hnswlib's format, fsynced). */
  path: string;
}

export interface GraphBuild {
  /** Resolves true once the file is written, false if cancelled; rejects if the build failed. */
  done: Promise<boolean>;
  cancel(): void;
}

/**
 * The worker is plain CommonJS handed over as source: it needs only hnswlib, and so starts in
 * milliseconds without a TypeScript loader. Building 10k vectors of 512 dimensions takes about
 * ten seconds of one core, which must not stall the event loop that answers queries.
 */
const workerSource = `
const { parentPort, workerData } = require("node:worker_threads");
const fs = require("node:fs");
try {
  const { HierarchicalNSW } = require(workerData.hnswlibPath);
  const { dimensions, init, labels, vectors, path } = workerData;
  const graph = new HierarchicalNSW("ip", dimensions);
  graph.initIndex(init);
  const point = new Array(dimensions);
  for (let row = 0; row < labels.length; row++) {
    for (let i = 0; i < dimensions; i++) point[i] = vectors[row * dimensions + i];
    graph.addPoint(point, labels[row]);
  }
  graph.writeIndexSync(path);
  // initIndex deletes the built index first: its memory goes back now, not whenever the
  // terminated worker's wrapper is finalised.
  graph.initIndex({ ...init, maxElements: 1 });
  const fd = fs.openSync(path, "r");
  fs.fsyncSync(fd);
  fs.closeSync(fd);
  parentPort.postMessage({ ok: true });
} catch (error) {
  parentPort.postMessage({ ok: false, message: String((error && error.stack) || error) });
}
`;

const hnswlibPath = createRequire(import.meta.url).resolve("hnswlib-node");

/**
 * Builds an HNSW graph from vectors in a worker thread and writes it to `input.path`; the
 * caller loads the file and swaps it in. The vectors' buffers are transferred, not copied.
 *
 * @example
 *   const build = buildGraphInWorker({ dimensions: 512, parameters, capacity, labels, vectors, path });
 *   if (await build.done) graph = HnswVectorIndex.load(path, 512, parameters, []);
 */
export function buildGraphInWorker(input: GraphBuildInput): GraphBuild {
  const worker = new Worker(workerSource, {
    eval: true,
    workerData: {
      hnswlibPath,
      dimensions: input.dimensions,
      init: hnswInitOptions(input.parameters, input.capacity),
      labels: input.labels,
      vectors: input.vectors,
      path: input.path,
    },
    transferList: [input.labels.buffer as ArrayBuffer, input.vectors.buffer as ArrayBuffer],
  });
  let cancelled = false;
  const done = new Promise<boolean>((resolve, reject) => {
    worker.once("message", (message: { ok: boolean; message?: string }) => {
      if (message.ok) resolve(true);
      else reject(new Error(`graph build failed: ${message.message}`));
      void worker.terminate();
    });
    worker.once("error", reject);
    worker.once("exit", () => (cancelled ? resolve(false) : reject(new Error("graph build worker exited early"))));
  });
  return {
    done,
    cancel: () => {
      cancelled = true;
      void worker.terminate();
    },
  };
}
