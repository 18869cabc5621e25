/**
 * Facts about the Universal Sentence Encoder Lite model, in a module without native code, so
 * code that needs a number does not load onnxruntime-node (whose version 1.14 could not be
 * loaded into worker threads that are later terminated: see use-lite-onnx-embedder.ts).
 */

/** Model id pinned in index manifests; the ONNX and TF.js paths give the same vectors. */
export const USE_LITE_MODEL_ID = "google/use-lite";
/**
 * The same encoder with int8 dense weights (onnx/model_quantized.onnx in the same directory):
 * its vectors differ slightly from the float graph's, so it is a model of its own, and an index
 * moves between the two through `kindred reindex --model`, like any model switch.
 */
export const USE_LITE_INT8_MODEL_ID = "google/use-lite-int8";
/** The bundled model's ids, each with the ONNX file it runs. */
export const USE_LITE_MODEL_FILES: Readonly<Record<string, string>> = Object.freeze({
  [USE_LITE_MODEL_ID]: "onnx/model.onnx",
  [USE_LITE_INT8_MODEL_ID]: "onnx/model_quantized.onnx",
});

/** Whether a model id names the bundled encoder, at either precision. */
export function isUseLiteModel(modelId: string): boolean {
  return Object.hasOwn(USE_LITE_MODEL_FILES, modelId);
}
export const USE_LITE_DIMENSIONS = 512;
/** The model reads at most this many tokens per text (ClipToMaxLength in the TF graph). */
export const USE_LITE_MAX_TOKENS = 128;
