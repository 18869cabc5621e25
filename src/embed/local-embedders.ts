import { KindredError } from "../core/errors.ts";
import { join } from "node:path";
import type { Embedder } from "./embedder.ts";
import { createUseLiteOnnxEmbedder } from "./use-lite/use-lite-onnx-embedder.ts";
import { useLiteDimensions, useLiteModelId } from "./use-lite-tfjs-embedder.ts";

/** What a worker needs to build its own copy of a model: plain data, so it crosses threads. */
export interface EmbedderSpec {
  modelId: string;
  modelsDir: string;
}

/** The dimensions a model produces, known without loading it where possible. */
export function knownDimensions(spec: EmbedderSpec): number | null {
  return spec.modelId === useLiteModelId ? useLiteDimensions : null;
}

/**
 * Builds an in-thread embedder for a model id. The bundled model is always available: its
 * TF.js weights are converted once, by kindred's own converter, into an ONNX model under
 * `models/google/use-lite/` and run with onnxruntime (same vectors as TF.js, about 10x faster;
 * see src/embed/use-lite/). Other backends (Transformers.js models under `models/`) register here.
 */
export async function createLocalEmbedder(spec: EmbedderSpec): Promise<Embedder> {
  if (spec.modelId === useLiteModelId) return createUseLiteOnnxEmbedder({ modelDirectory: join(spec.modelsDir, "google", "use-lite") });
  throw new KindredError(
    "model_unavailable",
    `Unknown model "${spec.modelId}". The bundled model is "${useLiteModelId}".`,
    { model: spec.modelId },
  );
}
