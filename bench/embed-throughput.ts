/**
 * Embedding throughput of the bundled USE Lite: the TF.js WebAssembly path against the converted
 * ONNX model in onnxruntime-node, in-thread with 1 or 2 intra-op threads and as 2 worker threads
 * with 1 thread each. Inputs are synthesised at run time from the BBC eval set (never stored):
 * the title alone, the title + the first ~50 words, the title + the first ~150 words (which the
 * model clips at 128 tokens). Progress goes to stderr, figures as JSON to stdout.
 *
 *   npx tsx scripts/convert-use-lite.ts && npx tsx bench/embed-throughput.ts
 *   npx tsx bench/embed-throughput.ts --docs 512 --tfjs-docs 64 --paths onnx-1,onnx-workers-2x1
 *
 * docs/s is wall-clock: on a shared machine it depends on what else runs, so the output carries
 * the load average and CPU milliseconds per document (process-wide, all threads) as well.
 *
 * onnxruntime-node is only loaded where an ONNX session runs, and the one ONNX worker pool is
 * started once: its 1.14 binding corrupts the heap when workers that loaded it are terminated
 * and new ones started in the same process (see use-lite-onnx-embedder.ts).
 */
import { readFile } from "node:fs/promises";
import { availableParallelism, cpus, loadavg } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { Worker } from "node:worker_threads";
import { z } from "zod";
import { DEFAULT_USE_LITE_ONNX_DIRECTORY, ensureUseLiteOnnx } from "../src/embed/use-lite/convert/convert-use-lite-to-onnx.ts";
import { USE_LITE_MAX_TOKENS } from "../src/embed/use-lite/use-lite-constants.ts";
import { loadUseLiteTokenizer } from "../src/embed/use-lite/use-lite-tokenizer.ts";
import type { BenchWorkerData } from "./embed-throughput-worker.ts";

/** Each path: backend, worker threads (0 = the main thread), onnxruntime intra-op threads. */
const PATHS = {
  "tfjs-1": { backend: "tfjs", workers: 0, intraOpThreads: 1 },
  "tfjs-workers-2x1": { backend: "tfjs", workers: 2, intraOpThreads: 1 },
  "onnx-1": { backend: "onnx", workers: 0, intraOpThreads: 1 },
  "onnx-2": { backend: "onnx", workers: 0, intraOpThreads: 2 },
  "onnx-workers-2x1": { backend: "onnx", workers: 2, intraOpThreads: 1 },
} as const satisfies Record<string, { backend: BenchWorkerData["backend"]; workers: number; intraOpThreads: number }>;
type PathName = keyof typeof PATHS;

const argsSchema = z.object({
  "eval-file": z.string().min(1).default("/work/shared/eval/bbc.jsonl"),
  docs: z.coerce.number().int().positive().default(512),
  "tfjs-docs": z.coerce.number().int().positive().default(64),
  "texts-per-call": z.coerce.number().int().positive().default(32),
  paths: z
    .string()
    .default(Object.keys(PATHS).join(","))
    .transform((value) => value.split(","))
    .pipe(z.array(z.enum(Object.keys(PATHS) as [PathName, ...PathName[]]))),
});
const { values } = parseArgs({
  options: {
    "eval-file": { type: "string" },
    docs: { type: "string" },
    "tfjs-docs": { type: "string" },
    "texts-per-call": { type: "string" },
    paths: { type: "string" },
  },
  strict: true,
});
const args = argsSchema.parse(values);

const recordSchema = z.object({ title: z.string(), text: z.string() });
const records = (await readFile(args["eval-file"], "utf8"))
  .split("\n")
  .filter((line) => line.trim() !== "")
  .map((line) => recordSchema.parse(JSON.parse(line)));
const firstWords = (text: string, count: number) => text.split(/\s+/).filter(Boolean).slice(0, count).join(" ");
const inputs = {
  title: records.map((record) => record.title),
  "title+50w": records.map((record) => `${record.title}. ${firstWords(record.text, 50)}`),
  "title+150w": records.map((record) => `${record.title}. ${firstWords(record.text, 150)}`),
};

await ensureUseLiteOnnx();
const tokenizer = await loadUseLiteTokenizer(join(DEFAULT_USE_LITE_ONNX_DIRECTORY, "tokenizer.json"));
const results: Record<string, unknown>[] = [];
for (const pathName of args.paths) {
  const path = PATHS[pathName];
  const docCount = path.backend === "tfjs" ? args["tfjs-docs"] : args.docs;
  const pool = await startPool(path.backend, Math.max(1, path.workers), path.intraOpThreads, path.workers === 0);
  try {
    for (const [inputName, texts] of Object.entries(inputs)) {
      const sample = texts.slice(0, docCount);
      await pool.embed(texts.slice(docCount, docCount + args["texts-per-call"])); // warm-up, other texts
      const loadBefore = loadavg()[0]!;
      const cpuBefore = process.cpuUsage();
      const startedMs = performance.now();
      await pool.embed(sample);
      const elapsedMs = performance.now() - startedMs;
      const cpu = process.cpuUsage(cpuBefore);
      const result = {
        path: pathName,
        ...path,
        input: inputName,
        docs: sample.length,
        meanTokens: round(sample.reduce((sum, text) => sum + tokenizer.encode(text, USE_LITE_MAX_TOKENS).length, 0) / sample.length, 1),
        docsPerSecond: round(sample.length / (elapsedMs / 1000), 1),
        cpuMsPerDoc: round((cpu.user + cpu.system) / 1000 / sample.length, 2),
        loadAverage1m: round((loadBefore + loadavg()[0]!) / 2, 2),
      };
      results.push(result);
      process.stderr.write(
        `${pathName.padEnd(18)} ${inputName.padEnd(11)} ${String(result.docsPerSecond).padStart(7)} docs/s  ${result.meanTokens} tokens  ${result.cpuMsPerDoc} cpu-ms/doc  load ${result.loadAverage1m}\n`,
      );
    }
  } finally {
    await pool.close();
  }
}
const tokenizerResults = await measureTokenizers();
console.log(
  JSON.stringify(
    { machine: { cpus: availableParallelism(), model: cpus()[0]?.model }, textsPerCall: args["texts-per-call"], results, tokenizers: tokenizerResults },
    null,
    2,
  ),
);

/** Tokens/s of kindred's tokenizer and of the @energetic-ai reference, on the same texts. */
async function measureTokenizers(): Promise<Record<string, unknown>[]> {
  const { loadTfjsUseLiteReference } = await import("../test/support/tfjs-use-lite-reference.ts");
  const reference = await loadTfjsUseLiteReference();
  const texts = { ...inputs, "full article": records.map((record) => `${record.title}. ${record.text}`) };
  const measured: Record<string, unknown>[] = [];
  for (const [inputName, all] of Object.entries(texts)) {
    // All ~2,200 texts for kindred's tokenizer (a short sample would time the JIT warming up);
    // 200 for the reference, which is quadratic in text length.
    const time = (encode: (text: string) => number[], sample = all) => {
      const startedMs = performance.now();
      let tokens = 0;
      for (const text of sample) tokens += encode(text).length;
      return { tokens, seconds: (performance.now() - startedMs) / 1000 };
    };
    for (let round = 0; round < 3; round++) time((text) => tokenizer.encode(text)); // warm-up
    const exact = time((text) => tokenizer.encode(text));
    const clipped = time((text) => tokenizer.encode(text, USE_LITE_MAX_TOKENS));
    const energetic = time((text) => reference.tokenize(text), all.slice(0, 200));
    const result = {
      input: inputName,
      texts: all.length,
      kindredTokensPerSecond: Math.round(exact.tokens / exact.seconds),
      kindredClippedTextsPerSecond: Math.round(all.length / clipped.seconds),
      energeticTokensPerSecond: Math.round(energetic.tokens / energetic.seconds),
    };
    measured.push(result);
    process.stderr.write(
      `tokenizer ${inputName.padEnd(12)} kindred ${result.kindredTokensPerSecond} tokens/s (${result.kindredClippedTextsPerSecond} texts/s clipped at 128), @energetic-ai ${result.energeticTokensPerSecond} tokens/s\n`,
    );
  }
  return measured;
}

/**
 * Runs embedders in worker threads (or, with `inMainThread`, one worker doing the same work as
 * the main thread would: the cost of postMessage is small next to a batch). Batches of
 * `texts-per-call` texts go to whichever worker is idle.
 */
async function startPool(backend: BenchWorkerData["backend"], workerCount: number, intraOpThreads: number, inMainThread: boolean) {
  if (inMainThread) return startMainThreadEmbedder(backend, intraOpThreads);
  const workers = await Promise.all(Array.from({ length: workerCount }, () => startWorker({ backend, intraOpThreads })));
  return {
    async embed(texts: readonly string[]): Promise<void> {
      const chunks: string[][] = [];
      for (let start = 0; start < texts.length; start += args["texts-per-call"]) chunks.push(texts.slice(start, start + args["texts-per-call"]));
      let next = 0;
      await Promise.all(
        workers.map(async (worker) => {
          while (next < chunks.length) await sendToWorker(worker, next, chunks[next++]!);
        }),
      );
    },
    close: () => Promise.all(workers.map((worker) => worker.terminate())).then(() => undefined),
  };
}

async function startMainThreadEmbedder(backend: BenchWorkerData["backend"], intraOpThreads: number) {
  const embedder =
    backend === "tfjs"
      ? await (await import("../test/support/tfjs-use-lite-reference.ts")).loadTfjsUseLiteReference()
      : await (await import("../src/embed/use-lite/use-lite-onnx-embedder.ts")).createUseLiteOnnxEmbedder({ intraOpThreads, convertIfNeeded: false });
  return {
    async embed(texts: readonly string[]): Promise<void> {
      for (let start = 0; start < texts.length; start += args["texts-per-call"]) await embedder.embed(texts.slice(start, start + args["texts-per-call"]));
    },
    close: async () => {
      if ("close" in embedder) await embedder.close();
    },
  };
}

/** Workers are TypeScript: register tsx inside the worker before importing its entry. */
async function startWorker(data: BenchWorkerData): Promise<Worker> {
  const bootstrap = `
    import(${JSON.stringify(import.meta.resolve("tsx/esm/api"))})
      .then(({ register }) => { register(); return import(${JSON.stringify(new URL("./embed-throughput-worker.ts", import.meta.url).href)}); });
  `;
  const worker = new Worker(bootstrap, { eval: true, workerData: data });
  await new Promise<void>((resolve, reject) => {
    worker.once("message", () => resolve());
    worker.once("error", reject);
  });
  return worker;
}

function sendToWorker(worker: Worker, id: number, texts: string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    const onMessage = (message: { id: number }) => {
      if (message.id !== id) return;
      worker.off("message", onMessage);
      worker.off("error", reject);
      resolve();
    };
    worker.on("message", onMessage);
    worker.once("error", reject);
    worker.postMessage({ id, texts });
  });
}

function round(value: number, digits: number): number {
  return Number(value.toFixed(digits));
}
