import { join } from "node:path";
import { AutoModel, AutoTokenizer, env } from "@xenova/transformers";
import ort from "onnxruntime-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadTfjsUseLiteReference } from "../../../test/support/tfjs-use-lite-reference.ts";
import { USE_LITE_TEST_TEXTS } from "../../../test/support/use-lite-test-texts.ts";
import { cosine } from "../../core/vector-math.ts";
import type { Embedder } from "../embedder.ts";
import { PADDING_ID } from "../pack-token-batches.ts";
import { DEFAULT_USE_LITE_ONNX_DIRECTORY } from "./convert/convert-use-lite-to-onnx.ts";
import { createUseLiteOnnxEmbedder } from "./use-lite-onnx-embedder.ts";

let embedder: Embedder;
let referenceVectors: Float32Array[];

beforeAll(async () => {
  const reference = await loadTfjsUseLiteReference();
  [embedder, referenceVectors] = await Promise.all([createUseLiteOnnxEmbedder(), reference.embed(USE_LITE_TEST_TEXTS)]);
});

afterAll(async () => {
  await embedder.close();
});

describe("createUseLiteOnnxEmbedder", () => {
  it("matches the TF.js path with cosine >= 0.999 on every test text, embedded as one mixed-length batch", async () => {
    const vectors = await embedder.embed(USE_LITE_TEST_TEXTS);
    const cosines = vectors.map((vector, index) => cosine(vector, referenceVectors[index]!));
    // Measured: every cosine is 1 within float rounding; 0.999 is the acceptance bar.
    expect(Math.min(...cosines)).toBeGreaterThanOrEqual(0.999);
    expect(Math.min(...cosines)).toBeGreaterThan(0.99999);
  });

  it("returns 512-d unit Float32Arrays in input order", async () => {
    const texts = ["Storms hit the coast", "", "Markets rally on rate cut hopes"];
    const vectors = await embedder.embed(texts);
    expect(vectors).toHaveLength(3);
    for (const vector of vectors) {
      expect(vector).toBeInstanceOf(Float32Array);
      expect(vector).toHaveLength(embedder.dimensions);
      expect(Math.hypot(...vector)).toBeCloseTo(1, 5);
    }
    // Order: the middle (empty) text is not the first one re-used.
    expect(cosine(vectors[0]!, vectors[2]!)).toBeLessThan(0.9);
    expect(cosine(vectors[2]!, (await embedder.embed([texts[2]!]))[0]!)).toBeGreaterThan(0.99999);
    expect(await embedder.embed([])).toEqual([]);
  });

  it("gives the same vector for a text alone as inside a padded batch", async () => {
    const batched = await embedder.embed(USE_LITE_TEST_TEXTS);
    for (const [index, text] of USE_LITE_TEST_TEXTS.entries()) {
      const [alone] = await embedder.embed([text]);
      expect(maxAbsoluteDifference(alone!, batched[index]!), JSON.stringify(text)).toBeLessThan(1e-5);
    }
  });

  it("is deterministic: the same input twice gives bit-identical vectors", async () => {
    const first = await embedder.embed(USE_LITE_TEST_TEXTS);
    const second = await embedder.embed(USE_LITE_TEST_TEXTS);
    expect(second.map((vector) => Buffer.from(vector.buffer, vector.byteOffset, vector.byteLength).toString("base64"))).toEqual(
      first.map((vector) => Buffer.from(vector.buffer, vector.byteOffset, vector.byteLength).toString("base64")),
    );
  });

  it("refuses to embed after close", async () => {
    const closing = await createUseLiteOnnxEmbedder({ convertIfNeeded: false });
    await closing.close();
    await expect(closing.embed(["x"])).rejects.toThrow(/closed/);
  });
});

describe("the converted model in Transformers.js", () => {
  it("loads with AutoModel/AutoTokenizer from models/, and its tokens through the session it opened give the same embeddings", async () => {
    env.allowRemoteModels = false;
    env.localModelPath = join(DEFAULT_USE_LITE_ONNX_DIRECTORY, "..", "..");
    const texts = ["Pentagon denies halt to cyber operations", "Naïve café owners in Zürich protest a rent rise"];
    const tokenizer = await AutoTokenizer.from_pretrained("google/use-lite");
    // quantized: false selects onnx/model.onnx (Transformers.js defaults to model_quantized.onnx).
    const model = await AutoModel.from_pretrained("google/use-lite", { quantized: false });
    // Run here rather than by model(...): Transformers.js 2.17 builds tensors that only
    // onnxruntime-node 1.14 accepts, and kindred runs a later one (its embedders open their own sessions).
    const ids = texts.map((text) => tokenizer.encode(text) as number[]);
    const width = Math.max(...ids.map((row) => row.length));
    const padded = (value: (row: number[], position: number) => number) =>
      new ort.Tensor("int64", BigInt64Array.from(ids.flatMap((row) => Array.from({ length: width }, (_, position) => BigInt(value(row, position))))), [
        ids.length,
        width,
      ]);
    const session = (model as unknown as { session: ort.InferenceSession }).session;
    const output = await session.run({
      input_ids: padded((row, position) => row[position] ?? PADDING_ID),
      attention_mask: padded((row, position) => (position < row.length ? 1 : 0)),
    });
    const data = output.sentence_embedding!.data as Float32Array;
    const ours = await embedder.embed(texts);
    for (const [row, vector] of ours.entries()) expect(cosine(data.subarray(row * 512, (row + 1) * 512), vector)).toBeGreaterThan(0.99999);
  });
});

function maxAbsoluteDifference(a: Float32Array, b: Float32Array): number {
  let max = 0;
  for (let i = 0; i < a.length; i++) max = Math.max(max, Math.abs(a[i]! - b[i]!));
  return max;
}
