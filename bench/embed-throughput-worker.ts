/**
 * Worker thread for bench/embed-throughput.ts: hosts one embedder (TF.js or ONNX) and embeds
 * the text batches it is sent. Answers `{ ready }` once loaded, then `{ id, count }` per batch
 * (the vectors stay here: the benchmark measures embedding, not message passing of results).
 */
import { parentPort, workerData } from "node:worker_threads";

export interface BenchWorkerData {
  backend: "tfjs" | "onnx";
  intraOpThreads: number;
}

const port = parentPort!;
const { backend, intraOpThreads } = workerData as BenchWorkerData;
// Import only the backend in use: a TF.js worker must not load onnxruntime-node (see the bench).
const embed =
  backend === "tfjs"
    ? (await (await import("../test/support/tfjs-use-lite-reference.ts")).loadTfjsUseLiteReference()).embed
    : await (await import("../src/embed/use-lite/use-lite-onnx-embedder.ts"))
        .createUseLiteOnnxEmbedder({ intraOpThreads, convertIfNeeded: false })
        .then((embedder) => embedder.embed.bind(embedder));
port.on("message", async ({ id, texts }: { id: number; texts: string[] }) => {
  const vectors = await embed(texts);
  port.postMessage({ id, count: vectors.length });
});
port.postMessage({ ready: true });
