import { existsSync } from "node:fs";
import { availableParallelism } from "node:os";
import { join } from "node:path";
import type { Embedder } from "./embedder.ts";
import { modelDirectory, readModelDimensions } from "./transformers/model-profiles.ts";
import { createTransformersEmbedder } from "./transformers/transformers-embedder.ts";
import { createUseLiteOnnxEmbedder } from "./use-lite/use-lite-onnx-embedder.ts";
import { useLiteDimensions, useLiteModelId } from "./use-lite-tfjs-embedder.ts";

/** What a worker needs to build its own copy of a model: plain data, so it crosses threads. */
export interface EmbedderSpec {
  modelId: string;
  modelsDir: string;
}

/**
 * Embedding workers when none are configured. The bundled model is so small that the main
 * thread (parsing, SQLite, FTS5, the graph) is busy for a good share of each article, and
 * workers on every core contend with it: on 2 cores, one worker indexed the demo corpus at 372
 * articles/s, two at 297 (both cores busy either way). Larger models spend nearly all their
 * time in the workers: one per core. At most 4 (one model instance each).
 */
export function defaultEmbedWorkers(modelId: string, cores: number = availableParallelism()): number {
  const perCore = Math.min(cores, 4);
  return modelId === useLiteModelId ? Math.max(1, perCore - 1) : perCore;
}

/** The dimensions a model produces, known without loading it where possible; null when it is not installed. */
export function knownDimensions(spec: EmbedderSpec): number | null {
  if (spec.modelId === useLiteModelId) return useLiteDimensions;
  if (!existsSync(join(modelDirectory(spec.modelsDir, spec.modelId), "config.json"))) return null;
  return readModelDimensions(spec.modelsDir, spec.modelId);
}

/**
 * Builds an in-thread embedder for a model id. The bundled model is always available: its
 * TF.js weights are converted once, by kindred's own converter, into an ONNX model under
 * `models/google/use-lite/` and run with onnxruntime (same vectors as TF.js, about 10x faster;
 * see src/embed/use-lite/). Every other id is a Hugging Face model under `models/<org>/<name>/`,
 * run through Transformers.js (src/embed/transformers/).
 */
export async function createLocalEmbedder(spec: EmbedderSpec): Promise<Embedder> {
  if (spec.modelId === useLiteModelId) return createUseLiteOnnxEmbedder({ modelDirectory: join(spec.modelsDir, "google", "use-lite") });
  return createTransformersEmbedder({ modelsDir: spec.modelsDir, modelId: spec.modelId });
}
