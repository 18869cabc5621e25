import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { z } from "zod";
import { KindredError } from "../../core/errors.ts";

/**
 * How kindred runs a sentence-embedding model: how token vectors become one vector, the prefixes
 * asymmetric models were trained with, and how many tokens a text may have. Resolved per model
 * from, in increasing precedence: defaults (mean pooling, no prefixes, the model's own length
 * limit), the table of known models below, and `models/<org>/<name>/kindred.json`.
 */
export interface ModelProfile {
  /** `mean`: average of token vectors under the attention mask; `cls`: the first token's vector; `model`: the graph outputs `sentence_embedding` itself. */
  pooling: "mean" | "cls" | "model";
  /** Put before texts embedded as queries (`POST /v1/related`). */
  queryPrefix: string;
  /** Put before texts embedded as passages (stored articles). */
  passagePrefix: string;
  /** Tokens read per text, special tokens included; the model's own limit applies when smaller. Null: the model's own limit. */
  maxTokens: number | null;
  /** Output width, when known without loading the model (else read from config.json). */
  dimensions: number | null;
  /** `onnx/model_quantized.onnx` (true) or `onnx/model.onnx` (false); null: whichever is installed, full precision first. */
  quantized: boolean | null;
}

const bgeQueryInstruction = "Represent this sentence for searching relevant passages: ";

/**
 * Models known to work, by repository name (any organisation: `Xenova/all-MiniLM-L6-v2` and
 * `sentence-transformers/all-MiniLM-L6-v2` are the same model). Pooling, prefixes and lengths
 * follow each model's card and its sentence-transformers configuration.
 */
export const knownModelProfiles: Readonly<Record<string, Partial<ModelProfile>>> = {
  "all-minilm-l6-v2": { pooling: "mean", maxTokens: 256, dimensions: 384 },
  "all-minilm-l12-v2": { pooling: "mean", maxTokens: 256, dimensions: 384 },
  "paraphrase-minilm-l6-v2": { pooling: "mean", maxTokens: 128, dimensions: 384 },
  "paraphrase-multilingual-minilm-l12-v2": { pooling: "mean", maxTokens: 128, dimensions: 384 },
  "all-mpnet-base-v2": { pooling: "mean", maxTokens: 384, dimensions: 768 },
  "multi-qa-minilm-l6-cos-v1": { pooling: "mean", maxTokens: 512, dimensions: 384 },
  "bge-small-en-v1.5": { pooling: "cls", queryPrefix: bgeQueryInstruction, maxTokens: 512, dimensions: 384 },
  "bge-base-en-v1.5": { pooling: "cls", queryPrefix: bgeQueryInstruction, maxTokens: 512, dimensions: 768 },
  "bge-large-en-v1.5": { pooling: "cls", queryPrefix: bgeQueryInstruction, maxTokens: 512, dimensions: 1024 },
  "e5-small-v2": { pooling: "mean", queryPrefix: "query: ", passagePrefix: "passage: ", maxTokens: 512, dimensions: 384 },
  "e5-base-v2": { pooling: "mean", queryPrefix: "query: ", passagePrefix: "passage: ", maxTokens: 512, dimensions: 768 },
  "multilingual-e5-small": { pooling: "mean", queryPrefix: "query: ", passagePrefix: "passage: ", maxTokens: 512, dimensions: 384 },
  "multilingual-e5-base": { pooling: "mean", queryPrefix: "query: ", passagePrefix: "passage: ", maxTokens: 512, dimensions: 768 },
  "multilingual-e5-large": { pooling: "mean", queryPrefix: "query: ", passagePrefix: "passage: ", maxTokens: 512, dimensions: 1024 },
  "gte-small": { pooling: "mean", maxTokens: 512, dimensions: 384 },
  "gte-base": { pooling: "mean", maxTokens: 512, dimensions: 768 },
};

const defaultProfile: ModelProfile = { pooling: "mean", queryPrefix: "", passagePrefix: "", maxTokens: null, dimensions: null, quantized: null };

/** The optional per-model override file, `models/<org>/<name>/kindred.json`. */
export const profileFileName = "kindred.json";

const profileFileSchema = z
  .object({
    pooling: z.enum(["mean", "cls", "model"]),
    queryPrefix: z.string(),
    passagePrefix: z.string(),
    maxTokens: z.number().int().min(3).max(100_000),
    dimensions: z.number().int().positive(),
    quantized: z.boolean(),
  })
  .partial()
  .strict();

/** A model id as a path under `models/`: `org/name`, letters, digits, `.`, `_`, `-`. */
const modelIdPattern = /^[A-Za-z0-9][\w.-]*\/[A-Za-z0-9][\w.-]*$/;

/** Checks that a model id names a directory inside the models directory (no `..`, no absolute path). */
export function assertModelId(modelId: string): void {
  if (!modelIdPattern.test(modelId) || modelId.split("/").some((part) => part === "." || part === "..")) {
    throw new KindredError("invalid_parameter", `"${modelId}" is not a model id; give a Hugging Face id such as Xenova/all-MiniLM-L6-v2 (organisation/name).`, {
      model: modelId,
    });
  }
}

/** Where a model lives: `<modelsDir>/<org>/<name>`. */
export function modelDirectory(modelsDir: string, modelId: string): string {
  assertModelId(modelId);
  return join(modelsDir, ...modelId.split("/"));
}

/** The table entry for a model id, matched on its name in any organisation. */
export function knownProfileOf(modelId: string): Partial<ModelProfile> | undefined {
  return knownModelProfiles[modelId.split("/").pop()!.toLowerCase()];
}

/**
 * The profile of an installed (or not yet installed) model: defaults < table < kindred.json.
 * A kindred.json that is not valid stops with a message naming the file and the problem.
 *
 * @example
 *   resolveModelProfile("models", "Xenova/multilingual-e5-small").queryPrefix; // "query: "
 */
export function resolveModelProfile(modelsDir: string, modelId: string): ModelProfile {
  const path = join(modelDirectory(modelsDir, modelId), profileFileName);
  return { ...defaultProfile, ...knownProfileOf(modelId), ...(existsSync(path) ? readProfileFile(path) : {}) };
}

function readProfileFile(path: string): Partial<ModelProfile> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(path, "utf8"));
  } catch (error) {
    throw new KindredError("invalid_config", `Cannot read ${path}: ${(error as Error).message}.`, { file: path });
  }
  const result = profileFileSchema.safeParse(parsed);
  if (!result.success) {
    const problems = result.error.issues.map(
      (issue) => `${issue.path.join(".") || (issue.code === "unrecognized_keys" ? issue.keys.join(", ") : "(top)")}: ${issue.message}`,
    );
    throw new KindredError(
      "invalid_config",
      `Invalid ${path}: ${problems.join("; ")}. Keys: pooling, queryPrefix, passagePrefix, maxTokens, dimensions, quantized.`,
      { file: path },
    );
  }
  return result.data;
}

/**
 * The output width of a model without loading it: the profile's, else `hidden_size` from its
 * config.json (the width of BERT-style token vectors, so of mean or CLS pooling); null when the
 * model is not installed.
 */
export function readModelDimensions(modelsDir: string, modelId: string): number | null {
  const profile = resolveModelProfile(modelsDir, modelId);
  if (profile.dimensions !== null) return profile.dimensions;
  const config = readJsonIfPresent(join(modelDirectory(modelsDir, modelId), "config.json"));
  const width = config?.hidden_size ?? config?.d_model;
  return typeof width === "number" ? width : null;
}

/** The model's own token limit: the smaller of the tokenizer's `model_max_length` and the position table. */
export function readModelMaxTokens(modelsDir: string, modelId: string): number | null {
  const directory = modelDirectory(modelsDir, modelId);
  const limits = [
    readJsonIfPresent(join(directory, "tokenizer_config.json"))?.model_max_length,
    readJsonIfPresent(join(directory, "config.json"))?.max_position_embeddings,
  ].filter((value): value is number => typeof value === "number" && value > 0 && value < 1e6);
  return limits.length === 0 ? null : Math.min(...limits);
}

function readJsonIfPresent(path: string): Record<string, unknown> | null {
  if (!existsSync(path)) return null;
  try {
    return JSON.parse(readFileSync(path, "utf8")) as Record<string, unknown>;
  } catch {
    return null;
  }
}
