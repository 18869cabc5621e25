import { existsSync } from "node:fs";
import { join } from "node:path";
import type { Embedder, EmbedderSpec } from "./embedder.ts";
import { modelDirectory, readModelDimensions } from "./transformers/model-profiles.ts";
import { createTransformersEmbedder } from "./transformers/transformers-embedder.ts";
import { isUseLiteModel, USE_LITE_DIMENSIONS } from "./use-lite/use-lite-constants.ts";
import { createUseLiteOnnxEmbedder } from "./use-lite/use-lite-onnx-embedder.ts";

/** The dimensions a model produces, known without loading it where possible; null when it is not installed. */
export function knownDimensions(spec: EmbedderSpec): number | null {
  if (isUseLiteModel(spec.modelId)) return USE_LITE_DIMENSIONS;
  if (!existsSync(join(modelDirectory(spec.modelsDir, spec.modelId), "config.json"))) return null;
  return readModelDimensions(spec.modelsDir, spec.modelId);
}

/**
 * Builds an in-thread embedder for a model id. The bundled model is always available: its
 * TF.js weights are converted once, by kindred's own converter, into an ONNX model under
 * `models/google/use-lite/` and run with onnxruntime (same vectors as TF.js, faster:
 * bench/embedding-paths.ts; see src/embed/use-lite/); `google/use-lite-int8` runs the int8 graph
 * converted beside it. Every other id is a Hugging Face model
 * under `models/<org>/<name>/`, run through Transformers.js (src/embed/transformers/).
 */
export async function createLocalEmbedder(spec: EmbedderSpec): Promise<Embedder> {
  if (isUseLiteModel(spec.modelId)) {
    return createUseLiteOnnxEmbedder({ modelDirectory: join(spec.modelsDir, "google", "use-lite"), modelId: spec.modelId });
  }
  return createTransformersEmbedder({ modelsDir: spec.modelsDir, modelId: spec.modelId });
}
