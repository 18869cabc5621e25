import { cpSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import ort from "onnxruntime-node";
import { beforeAll, describe, expect, it, vi } from "vitest";
import { buildTinyBertFixture } from "../../scripts/tiny-bert/build-tiny-bert.ts";
import { knownDimensions } from "../../src/embed/local-embedders.ts";
import { resolveModelProfile } from "../../src/embed/transformers/model-profiles.ts";
import { createTransformersEmbedder, type TransformersEmbedder } from "../../src/embed/transformers/transformers-embedder.ts";
import { WorkerPoolEmbedder } from "../../src/embed/worker-pool-embedder.ts";
import { fixtureModelsDir, tinyBertModelId } from "../support/fixture-models.ts";
import { useTempDir } from "../support/temp-dir.ts";

const dot = (a: Float32Array, b: Float32Array) => a.reduce((sum, value, index) => sum + value * b[index]!, 0);
const maxDifference = (a: Float32Array, b: Float32Array) => Math.max(...a.map((value, index) => Math.abs(value - b[index]!)));

const texts = [
  "Central bank raises interest rates to fight inflation",
  "Stock markets fall as investors fear a recession",
  "Home side wins the cup final on penalties",
  "Storm floods coastal towns",
  "",
  "Hegseth's unbelievably long-winded statement, with punctuation; and numbers: 42!",
];

/** A copy of the fixture whose kindred.json says how to run it. */
function fixtureVariant(profile: object): string {
  const modelsDir = join(useTempDir("kindred-variant-"), "models");
  cpSync(join(fixtureModelsDir, tinyBertModelId), join(modelsDir, tinyBertModelId), { recursive: true });
  writeFileSync(join(modelsDir, tinyBertModelId, "kindred.json"), JSON.stringify(profile));
  return modelsDir;
}

describe("Transformers.js embedder on the tiny BERT fixture", () => {
  let embedder: TransformersEmbedder;
  beforeAll(async () => {
    embedder = await createTransformersEmbedder({ modelsDir: fixtureModelsDir, modelId: tinyBertModelId });
  });

  it("is the fixture the script writes, byte for byte", () => {
    for (const [path, content] of Object.entries(buildTinyBertFixture())) {
      expect(Buffer.from(readFileSync(join(fixtureModelsDir, tinyBertModelId, path))).equals(Buffer.from(content)), path).toBe(true);
    }
  });

  it("loads through Transformers.js from the models directory alone, never the network", async () => {
    const fetchSpy = vi.spyOn(globalThis, "fetch");
    try {
      const fresh = await createTransformersEmbedder({ modelsDir: fixtureModelsDir, modelId: tinyBertModelId });
      await fresh.embed(texts);
      expect(fetchSpy).not.toHaveBeenCalled();
    } finally {
      fetchSpy.mockRestore();
    }
    const { env } = await import("@xenova/transformers");
    expect(env).toMatchObject({ allowRemoteModels: false, localModelPath: `${fixtureModelsDir.replace(/\/+$/, "")}/` });
  });

  it("has the model's dimensions and length limit, known before loading", async () => {
    expect(embedder.dimensions).toBe(32);
    expect(embedder.maxTokens).toBe(128);
    expect(knownDimensions({ modelId: tinyBertModelId, modelsDir: fixtureModelsDir })).toBe(32);
    const vectors = await embedder.embed(texts);
    expect(vectors).toHaveLength(texts.length);
    for (const vector of vectors) expect(vector).toHaveLength(32);
  });

  it("gives L2-normalised vectors, the same on every call and from a second instance", async () => {
    const first = await embedder.embed(texts);
    const again = await embedder.embed(texts);
    const other = await (await createTransformersEmbedder({ modelsDir: fixtureModelsDir, modelId: tinyBertModelId })).embed(texts);
    first.forEach((vector, index) => {
      expect(Math.hypot(...vector)).toBeCloseTo(1, 5);
      expect(again[index]).toEqual(vector);
      expect(other[index]).toEqual(vector);
    });
  });

  it("embeds a text the same alone as in a padded batch of longer and shorter texts", async () => {
    const batch = await embedder.embed(texts);
    for (const [index, text] of texts.entries()) {
      const [alone] = await embedder.embed([text]);
      expect(maxDifference(alone!, batch[index]!)).toBeLessThan(1e-5);
    }
  });

  it("reads at most 128 tokens of a long text, keeping the closing [SEP], so what follows changes nothing", async () => {
    const long = "The central bank raises interest rates again. ".repeat(60);
    const ids = embedder.tokenize(long);
    expect(ids).toHaveLength(128);
    expect(ids[0]).toBe(2); // [CLS]
    expect(ids[127]).toBe(3); // [SEP]
    const [plain, withOtherTail] = await embedder.embed([long, `${long} The home side wins the cup final on penalties.`]);
    expect(withOtherTail).toEqual(plain);
    const [short] = await embedder.embed(["The central bank raises interest rates again."]);
    expect(maxDifference(plain!, short!)).toBeGreaterThan(1e-3);
  });

  it("mean-pools last_hidden_state under the attention mask, as a direct ONNX Runtime run shows", async () => {
    const text = texts[0]!;
    const ids = embedder.tokenize(text);
    const session = await ort.InferenceSession.create(join(fixtureModelsDir, tinyBertModelId, "onnx", "model.onnx"));
    const int64 = (values: number[]) => new ort.Tensor("int64", BigInt64Array.from(values, BigInt), [1, values.length]);
    const { last_hidden_state: hidden } = await session.run({
      input_ids: int64(ids),
      attention_mask: int64(ids.map(() => 1)),
      token_type_ids: int64(ids.map(() => 0)),
    });
    const data = hidden!.data as Float32Array;
    const mean = new Float32Array(32);
    for (let position = 0; position < ids.length; position++) for (let i = 0; i < 32; i++) mean[i]! += data[position * 32 + i]! / ids.length;
    const norm = Math.hypot(...mean);
    const [vector] = await embedder.embed([text]);
    expect(
      maxDifference(
        vector!,
        mean.map((value) => value / norm),
      ),
    ).toBeLessThan(1e-5);

    const cls = await createTransformersEmbedder({ modelsDir: fixtureVariant({ pooling: "cls" }), modelId: tinyBertModelId });
    const first = data.slice(0, 32);
    const [clsVector] = await cls.embed([text]);
    expect(
      maxDifference(
        clsVector!,
        first.map((value) => value / Math.hypot(...first)),
      ),
    ).toBeLessThan(1e-5);
  });

  it("puts a model's query and passage prefixes before texts by role", async () => {
    const prefixed = await createTransformersEmbedder({
      modelsDir: fixtureVariant({ queryPrefix: "query: ", passagePrefix: "passage: " }),
      modelId: tinyBertModelId,
    });
    const [asQuery] = await prefixed.embed([texts[0]!], "query");
    const [asPassage] = await prefixed.embed([texts[0]!], "passage");
    expect(asQuery).toEqual((await embedder.embed([`query: ${texts[0]}`]))[0]);
    expect(asPassage).toEqual((await embedder.embed([`passage: ${texts[0]}`]))[0]);
    expect(maxDifference(asQuery!, asPassage!)).toBeGreaterThan(1e-4);
  });

  it("scores texts on one topic above texts on another (its vocabulary's topic groups, by construction)", async () => {
    const [rates, markets, cupFinal, floods] = await embedder.embed(texts.slice(0, 4));
    expect(dot(rates!, markets!)).toBeGreaterThan(dot(rates!, cupFinal!) + 0.3);
    expect(dot(rates!, markets!)).toBeGreaterThan(dot(rates!, floods!) + 0.3);
  });

  it("runs the same in a worker pool as in the calling thread", async () => {
    const pool = await WorkerPoolEmbedder.start({ modelId: tinyBertModelId, modelsDir: fixtureModelsDir }, 1);
    try {
      expect(pool.dimensions).toBe(32);
      const fromWorkers = await pool.embed(texts);
      const inThread = await embedder.embed(texts);
      fromWorkers.forEach((vector, index) => expect(maxDifference(vector, inThread[index]!)).toBeLessThan(1e-6));
    } finally {
      await pool.close();
    }
  });
});

describe("model profiles", () => {
  it("knows the prefixes, pooling and width of common sentence-embedding models in any organisation", () => {
    const modelsDir = useTempDir();
    expect(resolveModelProfile(modelsDir, "Xenova/multilingual-e5-small")).toMatchObject({
      pooling: "mean",
      queryPrefix: "query: ",
      passagePrefix: "passage: ",
      dimensions: 384,
    });
    expect(resolveModelProfile(modelsDir, "BAAI/bge-small-en-v1.5")).toMatchObject({
      pooling: "cls",
      queryPrefix: "Represent this sentence for searching relevant passages: ",
      passagePrefix: "",
    });
    expect(resolveModelProfile(modelsDir, "sentence-transformers/all-MiniLM-L6-v2")).toMatchObject({ pooling: "mean", queryPrefix: "", maxTokens: 256 });
    expect(resolveModelProfile(modelsDir, "someone/unknown-model")).toMatchObject({ pooling: "mean", queryPrefix: "", passagePrefix: "", maxTokens: null });
  });

  it("takes kindred.json over the table, and names the file and key of a bad one", () => {
    expect(resolveModelProfile(fixtureVariant({ pooling: "cls", maxTokens: 64 }), tinyBertModelId)).toMatchObject({ pooling: "cls", maxTokens: 64 });
    const bad = fixtureVariant({ pooling: "max", prefix: "x" });
    expect(() => resolveModelProfile(bad, tinyBertModelId)).toThrow(/kindred\.json: pooling: .*; (\(top\)|prefix): /);
  });

  it("refuses a model id that is not org/name inside the models directory", () => {
    for (const id of ["../etc", "org/../x", "/abs/path", "single"]) expect(() => resolveModelProfile("models", id)).toThrow(/is not a model id/);
  });

  it("says how to install a model that is not there", async () => {
    await expect(createTransformersEmbedder({ modelsDir: useTempDir(), modelId: "Xenova/all-MiniLM-L6-v2" })).rejects.toThrow(
      /not installed: .*onnx\/model\.onnx is missing\. Fetch it with `kindred model fetch Xenova\/all-MiniLM-L6-v2`/,
    );
  });
});
