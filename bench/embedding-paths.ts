/**
 * What the Transformers.js path costs, and whether the bundled model could take it (issue 3).
 * One thread, one onnxruntime intra-op thread, the same demo-corpus texts (title and lead, as the
 * engine embeds a short article), in calls of 32:
 *
 * - `bundled`: USE Lite on the bundled ONNX path, with kindred's exact tokenizer;
 * - `use-lite-transformers`: the same converted files through the Transformers.js embedder
 *   (Transformers.js' tokenizer; pooling "model": the graph outputs sentence_embedding);
 * - `tiny-transformers`: the tiny BERT fixture through the Transformers.js embedder;
 * - `tiny-transformers-pretokenized`: the same on token ids prepared beforehand;
 * - `tiny-bare`: those token ids on a bare onnxruntime session with kindred's pooling.
 *   The last two differ by Transformers.js' forward pass; the two before by its tokenizer.
 *
 *   npx tsx bench/embedding-paths.ts [--docs 1000] [--rounds 3]
 *
 * Each path runs in a process of its own, paths taking turns round after round, and the median
 * of its rounds is reported: sessions of different models in one process slow each other down
 * unevenly (measured: up to 3x), and a shared machine's load drifts. The vectors of the two
 * USE Lite paths are compared in this process. Writes bench/embedding-paths-results.json.
 */
import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import ort from "onnxruntime-node";
import { tinyBertModelId } from "../scripts/tiny-bert/build-tiny-bert.ts";
import { buildEmbedText } from "../src/core/embed-text.ts";
import { normalizeInPlace } from "../src/core/vector-math.ts";
import { packTokenBatches } from "../src/embed/pack-token-batches.ts";
import { createTransformersEmbedder, poolMean } from "../src/embed/transformers/transformers-embedder.ts";
import { DEFAULT_USE_LITE_ONNX_DIRECTORY, ensureUseLiteOnnx } from "../src/embed/use-lite/convert/convert-use-lite-to-onnx.ts";
import { USE_LITE_MAX_TOKENS } from "../src/embed/use-lite/use-lite-constants.ts";
import { createUseLiteOnnxEmbedder } from "../src/embed/use-lite/use-lite-onnx-embedder.ts";
import { loadUseLiteTokenizer } from "../src/embed/use-lite/use-lite-tokenizer.ts";
import { readDemoSlice } from "../test/support/demo-slice.ts";

const paths = ["bundled", "use-lite-transformers", "tiny-transformers", "tiny-transformers-pretokenized", "tiny-bare"] as const;
type PathName = (typeof paths)[number];

const { values } = parseArgs({
  options: { docs: { type: "string" }, rounds: { type: "string" }, path: { type: "string" }, "models-dir": { type: "string" } },
  strict: true,
});
const docCount = Number(values.docs ?? 1000);
const rounds = Number(values.rounds ?? 3);
const fixtureModelsDir = fileURLToPath(new URL("../test/fixtures/models/", import.meta.url));
const items = (await readDemoSlice("2025-01-01", "2026-12-31")).slice(0, docCount);
const texts = items.map((item) => buildEmbedText({ title: String(item.title ?? ""), body: String(item.text ?? "") }));
const log = (line: string) => process.stderr.write(`${line}\n`);

/** A models directory linking the converted USE Lite, with a kindred.json saying its graph pools by itself. */
function useLiteAsTransformersModel(): string {
  const modelsDir = mkdtempSync(join(tmpdir(), "kindred-bench-paths-"));
  const directory = join(modelsDir, "google", "use-lite");
  mkdirSync(directory, { recursive: true });
  for (const file of ["config.json", "tokenizer.json", "tokenizer_config.json", "onnx"])
    symlinkSync(join(process.cwd(), DEFAULT_USE_LITE_ONNX_DIRECTORY, file), join(directory, file));
  writeFileSync(join(directory, "kindred.json"), JSON.stringify({ pooling: "model" }));
  return modelsDir;
}

/** In a child process: one path's docs/s, the best of three passes after a warm-up call. */
async function measurePath(path: PathName, modelsDir: string): Promise<number> {
  let embed: (batch: string[]) => Promise<unknown>;
  if (path === "bundled") {
    const embedder = await createUseLiteOnnxEmbedder({ convertIfNeeded: false });
    embed = (batch) => embedder.embed(batch);
  } else if (path === "use-lite-transformers") {
    const embedder = await createTransformersEmbedder({ modelsDir, modelId: "google/use-lite" });
    embed = (batch) => embedder.embed(batch);
  } else {
    const tiny = await createTransformersEmbedder({ modelsDir: fixtureModelsDir, modelId: tinyBertModelId });
    const tokenized = new Map(texts.map((text) => [text, tiny.tokenize(text)]));
    if (path === "tiny-transformers") embed = (batch) => tiny.embed(batch);
    else if (path === "tiny-transformers-pretokenized") embed = (batch) => tiny.embedTokenIds(batch.map((text) => tokenized.get(text)!));
    else {
      const bytes = readFileSync(join(fixtureModelsDir, tinyBertModelId, "onnx", "model.onnx"));
      const session = await ort.InferenceSession.create(bytes, {
        intraOpNumThreads: 1,
        interOpNumThreads: 1,
        executionMode: "sequential",
        graphOptimizationLevel: "all",
      });
      embed = async (batch) => {
        for (const packed of packTokenBatches(
          batch.map((text) => tokenized.get(text)!),
          { maxBatchSize: 32, maxBatchTokens: tiny.maxTokens * 4 },
        )) {
          const dims = [packed.batchSize, packed.sequenceLength];
          const outputs = await session.run({
            input_ids: new ort.Tensor("int64", packed.inputIds, dims),
            attention_mask: new ort.Tensor("int64", packed.attentionMask, dims),
            token_type_ids: new ort.Tensor("int64", new BigInt64Array(packed.inputIds.length), dims),
          });
          for (const vector of poolMean(outputs.last_hidden_state!.data as Float32Array, packed, tiny.dimensions)) normalizeInPlace(vector);
        }
      };
    }
  }
  await embed(texts.slice(0, 32));
  let bestMs = Infinity;
  for (let pass = 0; pass < 3; pass++) {
    const started = performance.now();
    for (let start = 0; start < texts.length; start += 32) await embed(texts.slice(start, start + 32));
    bestMs = Math.min(bestMs, performance.now() - started);
  }
  return (texts.length / bestMs) * 1000;
}

if (values.path !== undefined) {
  process.stdout.write(`${JSON.stringify({ docsPerSecond: await measurePath(values.path as PathName, values["models-dir"]!) })}\n`);
  process.exit(0);
}

await ensureUseLiteOnnx();
const modelsDir = useLiteAsTransformersModel();
const loadBefore = loadavg()[0]!;
log(
  `${texts.length} demo texts, mean ${Math.round(texts.reduce((sum, text) => sum + text.length, 0) / texts.length)} characters; load average ${loadBefore.toFixed(2)}`,
);
const samples = new Map<PathName, number[]>(paths.map((path) => [path, []]));
for (let round = 0; round < rounds; round++) {
  for (const path of paths) {
    const child = spawnSync(
      process.execPath,
      ["--import", "tsx", fileURLToPath(import.meta.url), "--path", path, "--docs", String(docCount), "--models-dir", modelsDir],
      { encoding: "utf8" },
    );
    if (child.status !== 0) throw new Error(`${path} failed:\n${child.stderr}`);
    samples.get(path)!.push(JSON.parse(child.stdout.trim().split("\n").pop()!).docsPerSecond);
  }
  log(`round ${round + 1} of ${rounds}: ${paths.map((path) => `${path} ${samples.get(path)!.at(-1)!.toFixed(0)}`).join(", ")} docs/s`);
}
const median = (values: number[]) => [...values].sort((a, b) => a - b)[values.length >> 1]!;

// Agreement of the two USE Lite paths: vectors and token ids.
const bundled = await createUseLiteOnnxEmbedder({ convertIfNeeded: false });
const viaTransformers = await createTransformersEmbedder({ modelsDir, modelId: "google/use-lite" });
const [bundledVectors, transformersVectors] = [await bundled.embed(texts), await viaTransformers.embed(texts)];
const cosines = bundledVectors.map((vector, index) => vector.reduce((sum, value, i) => sum + value * transformersVectors[index]![i]!, 0));
const exactTokenizer = await loadUseLiteTokenizer(join(DEFAULT_USE_LITE_ONNX_DIRECTORY, "tokenizer.json"));
const tiny = await createTransformersEmbedder({ modelsDir: fixtureModelsDir, modelId: tinyBertModelId });
const microsecondsPerText = (tokenize: (text: string) => unknown) => {
  let bestMs = Infinity;
  for (let pass = 0; pass < 3; pass++) {
    const started = performance.now();
    for (const text of texts) tokenize(text);
    bestMs = Math.min(bestMs, performance.now() - started);
  }
  return Math.round((bestMs / texts.length) * 1000);
};
rmSync(modelsDir, { recursive: true, force: true });

const results = {
  measured_at: new Date().toISOString(),
  command: `npx tsx bench/embedding-paths.ts --docs ${docCount} --rounds ${rounds}`,
  docs: texts.length,
  load_average: { before: Math.round(loadBefore * 100) / 100, after: Math.round(loadavg()[0]! * 100) / 100 },
  docs_per_second_median: Object.fromEntries(paths.map((path) => [path, Math.round(median(samples.get(path)!) * 10) / 10])),
  docs_per_second_rounds: Object.fromEntries(paths.map((path) => [path, samples.get(path)!.map((value) => Math.round(value))])),
  use_lite_agreement: {
    min_cosine: Math.min(...cosines),
    below_0_9999: cosines.filter((cosine) => cosine < 0.9999).length,
    tokenised_differently: texts.filter(
      (text) => JSON.stringify(exactTokenizer.encode(text, USE_LITE_MAX_TOKENS)) !== JSON.stringify(viaTransformers.tokenize(text)),
    ).length,
  },
  tokenizer_us_per_text: {
    kindred_use_lite: microsecondsPerText((text) => exactTokenizer.encode(text, USE_LITE_MAX_TOKENS)),
    transformers_unigram_use_lite: microsecondsPerText((text) => viaTransformers.tokenize(text)),
    transformers_wordpiece_tiny_bert: microsecondsPerText((text) => tiny.tokenize(text)),
  },
};
writeFileSync(new URL("./embedding-paths-results.json", import.meta.url), `${JSON.stringify(results, null, 2)}\n`);
process.stdout.write(`${JSON.stringify(results, null, 2)}\n`);
