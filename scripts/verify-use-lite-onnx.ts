/**
 * Checks the converted USE Lite ONNX model against the TF.js path on the English eval sets:
 * cosine between the two vectors for every article, as `title + ". " + text` and as the title
 * alone. Prints min/mean per set to stderr as it goes and a JSON summary to stdout.
 *
 *   npx tsx scripts/verify-use-lite-onnx.ts                       # all of bbc, agnews, wcep-stories
 *   npx tsx scripts/verify-use-lite-onnx.ts --limit 200 --sets bbc
 *   npx tsx scripts/verify-use-lite-onnx.ts --transformers-tokenizer   # also compare tokenizer.json
 *
 * The TF.js side runs at ~20-30 texts/s, so the full run takes about 20 minutes.
 */
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { z } from "zod";
import { cosine } from "../src/core/vector-math.ts";
import { DEFAULT_USE_LITE_ONNX_DIRECTORY } from "../src/embed/use-lite/convert/convert-use-lite-to-onnx.ts";
import { USE_LITE_MAX_TOKENS } from "../src/embed/use-lite/use-lite-constants.ts";
import { createUseLiteOnnxEmbedder, type UseLiteOnnxEmbedder } from "../src/embed/use-lite/use-lite-onnx-embedder.ts";
import { loadUseLiteTokenizer } from "../src/embed/use-lite/use-lite-tokenizer.ts";
import { loadTfjsUseLiteReference } from "../test/support/tfjs-use-lite-reference.ts";

const argsSchema = z.object({
  "eval-dir": z.string().min(1).default("/work/shared/eval"),
  sets: z
    .string()
    .default("bbc,agnews,wcep-stories")
    .transform((value) => value.split(",").filter(Boolean)),
  limit: z.coerce.number().int().positive().optional(),
  "batch-size": z.coerce.number().int().positive().default(32),
  "transformers-tokenizer": z.boolean().default(false),
});
const { values } = parseArgs({
  options: {
    "eval-dir": { type: "string" },
    sets: { type: "string" },
    limit: { type: "string" },
    "batch-size": { type: "string" },
    "transformers-tokenizer": { type: "boolean" },
  },
  strict: true,
});
const args = argsSchema.parse(values);

const recordSchema = z.object({ id: z.string(), title: z.string(), text: z.string() });
type EvalRecord = z.output<typeof recordSchema>;

const inputKinds = { "title+text": (record: EvalRecord) => `${record.title}. ${record.text}`, title: (record: EvalRecord) => record.title };

async function main(): Promise<void> {
  const [reference, onnx] = await Promise.all([loadTfjsUseLiteReference(), createUseLiteOnnxEmbedder()]);
  const summary: Record<string, unknown> = { model: "google/use-lite", reference: "@energetic-ai/embeddings (TF.js WebAssembly)", sets: {} };
  for (const set of args.sets) {
    const records = await readEvalSet(join(args["eval-dir"], `${set}.jsonl`), args.limit);
    const setSummary: Record<string, CosineStats> = {};
    for (const [kind, toText] of Object.entries(inputKinds)) {
      const texts = records.map(toText);
      const stats = new CosineStats();
      const startedMs = performance.now();
      for (let start = 0; start < texts.length; start += args["batch-size"]) {
        const batch = texts.slice(start, start + args["batch-size"]);
        const [expected, actual] = [await reference.embed(batch), await onnx.embed(batch)];
        expected.forEach((vector, row) => stats.add(cosine(vector, actual[row]!), records[start + row]!.id));
        reportProgress(`${set} ${kind}`, start + batch.length, texts.length, startedMs, stats);
      }
      process.stderr.write("\n");
      setSummary[kind] = stats;
    }
    (summary.sets as Record<string, unknown>)[set] = setSummary;
  }
  if (args["transformers-tokenizer"]) summary.transformersTokenizer = await compareTransformersTokenizer(onnx);
  console.log(JSON.stringify(summary, null, 2));
  await onnx.close();
}

/** Transformers.js + tokenizer.json against the exact tokenizer: mismatch rate and its effect. */
async function compareTransformersTokenizer(onnx: UseLiteOnnxEmbedder): Promise<object> {
  const { AutoTokenizer, env } = await import("@xenova/transformers");
  env.allowRemoteModels = false;
  env.localModelPath = join(DEFAULT_USE_LITE_ONNX_DIRECTORY, "..", "..");
  const transformers = await AutoTokenizer.from_pretrained("google/use-lite");
  const exact = await loadUseLiteTokenizer(join(DEFAULT_USE_LITE_ONNX_DIRECTORY, "tokenizer.json"));
  let texts = 0;
  let tokens = 0;
  let mismatched = 0;
  let transformersMs = 0;
  let exactMs = 0;
  const mismatchedWithin128: { ours: number[]; theirs: number[] }[] = [];
  for (const set of args.sets) {
    for (const record of await readEvalSet(join(args["eval-dir"], `${set}.jsonl`), args.limit)) {
      for (const text of Object.values(inputKinds).map((toText) => toText(record))) {
        let startedMs = performance.now();
        const ours = exact.encode(text);
        exactMs += performance.now() - startedMs;
        startedMs = performance.now();
        const theirs = transformers.encode(text) as number[];
        transformersMs += performance.now() - startedMs;
        texts++;
        tokens += ours.length;
        if (JSON.stringify(ours) === JSON.stringify(theirs)) continue;
        mismatched++;
        const head = (ids: number[]) => ids.slice(0, USE_LITE_MAX_TOKENS);
        if (JSON.stringify(head(ours)) !== JSON.stringify(head(theirs))) mismatchedWithin128.push({ ours, theirs });
      }
    }
  }
  const ours = await onnx.embedTokenIds(mismatchedWithin128.map(({ ours }) => ours));
  const theirs = await onnx.embedTokenIds(mismatchedWithin128.map(({ theirs }) => theirs));
  const cosines = ours.map((vector, index) => cosine(vector, theirs[index]!));
  return {
    texts,
    tokens,
    mismatchedTexts: mismatched,
    mismatchRate: mismatched / texts,
    mismatchedWithinFirst128Tokens: mismatchedWithin128.length,
    minCosineOfMismatchedEmbeddings: cosines.length > 0 ? Math.min(...cosines) : null,
    exactTokensPerSecond: Math.round(tokens / (exactMs / 1000)),
    transformersTokensPerSecond: Math.round(tokens / (transformersMs / 1000)),
  };
}

async function readEvalSet(path: string, limit: number | undefined): Promise<EvalRecord[]> {
  const lines = (await readFile(path, "utf8")).split("\n").filter((line) => line.trim() !== "");
  return lines.slice(0, limit ?? lines.length).map((line, index) => {
    const parsed = recordSchema.safeParse(JSON.parse(line));
    if (!parsed.success) throw new Error(`${path}:${index + 1}: not an eval record: ${parsed.error.message}`);
    return parsed.data;
  });
}

class CosineStats {
  count = 0;
  min = Infinity;
  minId = "";
  mean = 0;
  below0999 = 0;
  #sum = 0;

  add(value: number, id: string): void {
    this.count++;
    this.#sum += value;
    this.mean = this.#sum / this.count;
    if (value < 0.999) this.below0999++;
    if (value < this.min) {
      this.min = value;
      this.minId = id;
    }
  }
}

function reportProgress(label: string, done: number, total: number, startedMs: number, stats: CosineStats): void {
  const perSecond = done / ((performance.now() - startedMs) / 1000);
  const etaSeconds = Math.round((total - done) / perSecond);
  process.stderr.write(
    `\r${label}: ${done}/${total} (${perSecond.toFixed(1)}/s, ETA ${etaSeconds}s) min ${stats.min.toFixed(6)} mean ${stats.mean.toFixed(6)}   `,
  );
}

await main();
