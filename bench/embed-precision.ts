/**
 * The bundled model's int8 graph against its float graph, on real passages: embedding speed per
 * batch in one thread (the unit a worker runs) and how close the vectors are (cosine per
 * passage). Both graphs are built in memory from the installed TF.js weights by the project's
 * converter; passages are cut at run time from an eval set (never stored) with the `all` plan,
 * so every chunk of a full article is measured. Progress to stderr, figures as JSON to stdout.
 *
 *   npx tsx bench/embed-precision.ts
 *   npx tsx bench/embed-precision.ts --eval-file ../shared/eval/bbc.jsonl --articles 100 --rounds 3
 */
import { readFile } from "node:fs/promises";
import { loadavg } from "node:os";
import { parseArgs } from "node:util";
import ort from "onnxruntime-node";
import { z } from "zod";
import { buildEmbedPassages } from "../src/core/embed-text.ts";
import { packTokenBatches } from "../src/embed/pack-token-batches.ts";
import { buildUseLiteOnnxModel, DEFAULT_USE_LITE_ONNX_DIRECTORY } from "../src/embed/use-lite/convert/convert-use-lite-to-onnx.ts";
import { USE_LITE_MAX_TOKENS } from "../src/embed/use-lite/use-lite-constants.ts";
import { loadUseLiteTokenizer } from "../src/embed/use-lite/use-lite-tokenizer.ts";

const argsSchema = z.object({
  "eval-file": z.string().min(1).default("/work/shared/eval/giveme5w1h.jsonl"),
  articles: z.coerce.number().int().positive().default(120),
  rounds: z.coerce.number().int().positive().default(3),
  "batch-tokens": z.coerce
    .number()
    .int()
    .positive()
    .default(4 * USE_LITE_MAX_TOKENS),
});
const { values } = parseArgs({
  options: { "eval-file": { type: "string" }, articles: { type: "string" }, rounds: { type: "string" }, "batch-tokens": { type: "string" } },
  strict: true,
});
const args = argsSchema.parse(values);

const recordSchema = z.object({ title: z.string().default(""), text: z.string().optional(), body: z.string().optional() });
const lines = (await readFile(args["eval-file"], "utf8")).split("\n").filter((line) => line.trim() !== "");
const passages = lines.slice(0, args.articles).flatMap((line, index) => {
  const parsed = recordSchema.safeParse(JSON.parse(line));
  if (!parsed.success) throw new Error(`${args["eval-file"]} line ${index + 1}: ${parsed.error.message}`);
  return buildEmbedPassages({ title: parsed.data.title, body: parsed.data.body ?? parsed.data.text ?? "" }, "all");
});
const tokenizer = await loadUseLiteTokenizer(`${DEFAULT_USE_LITE_ONNX_DIRECTORY}/tokenizer.json`);
const tokenIds = passages.map((text) => tokenizer.encode(text, USE_LITE_MAX_TOKENS));
const batches = packTokenBatches(tokenIds, { maxBatchSize: 32, maxBatchTokens: args["batch-tokens"] });
process.stderr.write(`${passages.length} passages of ${args.articles} articles in ${batches.length} batches\n`);

async function embedAll(precision: "float" | "int8"): Promise<{ vectors: Float32Array[]; msPerBatch: number[]; modelBytes: number }> {
  const bytes = await buildUseLiteOnnxModel({ weightPrecision: precision });
  const session = await ort.InferenceSession.create(bytes, {
    intraOpNumThreads: 1,
    interOpNumThreads: 1,
    executionMode: "sequential",
    graphOptimizationLevel: "all",
  });
  const vectors = new Array<Float32Array>(passages.length);
  const msPerBatch: number[] = [];
  for (let round = 0; round < args.rounds; round++) {
    const started = performance.now();
    for (const batch of batches) {
      const dims = [batch.batchSize, batch.sequenceLength];
      const output = await session.run({
        input_ids: new ort.Tensor("int64", batch.inputIds, dims),
        attention_mask: new ort.Tensor("int64", batch.attentionMask, dims),
      });
      const data = output.sentence_embedding!.data as Float32Array;
      batch.indices.forEach((index, row) => (vectors[index] = data.slice(row * 512, (row + 1) * 512)));
    }
    msPerBatch.push((performance.now() - started) / batches.length);
    process.stderr.write(`${precision} round ${round + 1}: ${msPerBatch.at(-1)!.toFixed(2)} ms per batch\n`);
  }
  return { vectors, msPerBatch, modelBytes: bytes.byteLength };
}

const load = [loadavg()[0]];
// Alternate so that both see the same machine load as far as possible.
const float = await embedAll("float");
const int8 = await embedAll("int8");
load.push(loadavg()[0]);
const cosines = passages.map((_, index) => {
  const [a, b] = [float.vectors[index]!, int8.vectors[index]!];
  let dot = 0;
  for (let i = 0; i < a.length; i++) dot += a[i]! * b[i]!;
  return dot;
});
const sorted = [...cosines].sort((a, b) => a - b);
const best = (values: number[]) => Math.min(...values);
const result = {
  evalFile: args["eval-file"],
  passages: passages.length,
  batches: batches.length,
  msPerBatch: { float: best(float.msPerBatch), int8: best(int8.msPerBatch) },
  passagesPerSecond: {
    float: (1000 * passages.length) / batches.length / best(float.msPerBatch),
    int8: (1000 * passages.length) / batches.length / best(int8.msPerBatch),
  },
  speedup: best(float.msPerBatch) / best(int8.msPerBatch),
  modelMegabytes: { float: float.modelBytes / 2 ** 20, int8: int8.modelBytes / 2 ** 20 },
  cosine: { min: sorted[0], p01: sorted[Math.floor(sorted.length * 0.01)], median: sorted[Math.floor(sorted.length / 2)] },
  loadAverage: load,
};
process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
