/**
 * Facts about the Universal Sentence Encoder Lite model, in a module without native code, so
 * code that needs a number does not load onnxruntime-node (which, in version 1.14, must not be
 * loaded into worker threads that are later terminated: see use-lite-onnx-embedder.ts).
 */

/** Model id pinned in index manifests; the ONNX and TF.js paths give the same vectors. */
export const USE_LITE_MODEL_ID = "google/use-lite";
export const USE_LITE_DIMENSIONS = 512;
/** The model reads at most this many tokens per text (ClipToMaxLength in the TF graph). */
export const USE_LITE_MAX_TOKENS = 128;
