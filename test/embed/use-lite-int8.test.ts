import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildEmbedPassages } from "../../src/core/embed-text.ts";
import { cosine } from "../../src/core/vector-math.ts";
import { createLocalEmbedder } from "../../src/embed/local-embedders.ts";
import { USE_LITE_INT8_MODEL_ID, USE_LITE_MODEL_ID } from "../../src/embed/use-lite/use-lite-constants.ts";
import { createUseLiteOnnxEmbedder, type UseLiteOnnxEmbedder } from "../../src/embed/use-lite/use-lite-onnx-embedder.ts";
import { readDemoSlice } from "../support/demo-slice.ts";
import { USE_LITE_TEST_TEXTS } from "../support/use-lite-test-texts.ts";

let float: UseLiteOnnxEmbedder;
let int8: UseLiteOnnxEmbedder;
let passages: string[];

beforeAll(async () => {
  [float, int8] = await Promise.all([createUseLiteOnnxEmbedder(), createUseLiteOnnxEmbedder({ modelId: USE_LITE_INT8_MODEL_ID, convertIfNeeded: false })]);
  // Real text: a week of the shipped demo corpus, every passage the `all` plan cuts, plus the
  // varied test texts (empty, non-ASCII, past the 128-token clip).
  const items = await readDemoSlice("2025-03-01", "2025-03-07");
  passages = [
    ...items.flatMap((item) => buildEmbedPassages({ title: String(item.title ?? ""), body: String(item.body ?? "") }, "all")),
    ...USE_LITE_TEST_TEXTS,
  ];
});

afterAll(async () => {
  await Promise.all([float?.close(), int8?.close()]);
});

describe("the int8 graph of the bundled model", () => {
  it("gives vectors within cosine 0.99 of the float graph's on every passage of real news", async () => {
    expect(passages.length).toBeGreaterThan(100);
    const [floatVectors, int8Vectors] = await Promise.all([float.embed(passages), int8.embed(passages)]);
    const cosines = passages.map((_, index) => cosine(floatVectors[index]!, int8Vectors[index]!));
    const worst = cosines.indexOf(Math.min(...cosines));
    expect(cosines[worst], JSON.stringify(passages[worst])).toBeGreaterThanOrEqual(0.99);
    // Not the float graph under another name: int8 weights change every non-empty vector a little.
    expect(cosines.filter((value) => value < 0.99999).length).toBeGreaterThan(passages.length / 2);
  });

  it("is a model of its own: its id, 512-d unit vectors, chosen by id through the local embedder factory", async () => {
    expect(int8.modelId).toBe(USE_LITE_INT8_MODEL_ID);
    expect(float.modelId).toBe(USE_LITE_MODEL_ID);
    const byId = await createLocalEmbedder({ modelId: USE_LITE_INT8_MODEL_ID, modelsDir: "models" });
    const [vector] = await byId.embed(["Pentagon denies halt to cyber operations"]);
    expect(byId.modelId).toBe(USE_LITE_INT8_MODEL_ID);
    expect(vector).toHaveLength(512);
    expect(Math.hypot(...vector!)).toBeCloseTo(1, 5);
    const [again] = await int8.embed(["Pentagon denies halt to cyber operations"]);
    expect(cosine(vector!, again!)).toBeGreaterThan(0.99999);
    await byId.close();
  });

  it("gives a text nearly the same vector alone as inside a batch (activations are quantised per batch)", async () => {
    const sample = passages.slice(0, 24);
    const batched = await int8.embed(sample);
    for (const [index, text] of sample.entries()) {
      const [alone] = await int8.embed([text]);
      expect(cosine(alone!, batched[index]!), JSON.stringify(text)).toBeGreaterThan(0.995);
    }
  });

  it("refuses an id that is not the bundled model", async () => {
    await expect(createUseLiteOnnxEmbedder({ modelId: "google/use-lite-fp4", convertIfNeeded: false })).rejects.toThrow(/not the bundled USE Lite model/);
  });
});
