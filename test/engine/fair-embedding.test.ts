import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { dot } from "../../src/core/vector-math.ts";
import type { Embedder, EmbedRole } from "../../src/embed/embedder.ts";
import { USE_LITE_MODEL_ID } from "../../src/embed/use-lite/use-lite-constants.ts";
import { WorkerPoolEmbedder } from "../../src/embed/worker-pool-embedder.ts";
import { bulkSlices, defaultSliceTexts, FairEmbedding } from "../../src/engine/fair-embedding.ts";
import { openEngine } from "../../src/engine/open-engine.ts";
import { silentLogger } from "../../src/log/logger.ts";
import { CountingEmbedder, testConfig } from "../support/open-test-engine.ts";
import { useTempDir } from "../support/temp-dir.ts";

const sentence = (i: number) => `Report ${i}: the council approved a new budget for the harbour district after a long debate about ferries.`;

/** `inner`, recording the number of texts of each call in `sizes`. */
function recordingCallSizes(inner: Embedder, sizes: number[]): Embedder {
  return {
    modelId: inner.modelId,
    dimensions: inner.dimensions,
    embed: (texts: readonly string[], role?: EmbedRole) => {
      sizes.push(texts.length);
      return inner.embed(texts, role);
    },
    close: async () => {},
  };
}

describe("fair embedding between concurrent writes", () => {
  // The real model in one worker: it answers calls in the order they come.
  let embedder: CountingEmbedder;
  beforeAll(async () => {
    embedder = await CountingEmbedder.start();
  });
  afterAll(async () => {
    await embedder.close();
  });

  it("answers a one-text write that comes behind a big batch before the batch, not after it", async () => {
    const fair = new FairEmbedding({ sliceTexts: 8, slicesInFlight: 2 });
    const finished: string[] = [];
    const batch = fair
      .embed(
        embedder,
        Array.from({ length: 64 }, (_, i) => sentence(i)),
        "passage",
      )
      .then(() => finished.push("batch"));
    const single = fair.embed(embedder, ["Ferry strike called off after an overnight deal"], "passage").then(() => finished.push("single"));
    await Promise.all([batch, single]);
    expect(finished).toEqual(["single", "batch"]);
  });

  it("in a bulk load serves writes in the order they came, so the first batch is stored while the next one is embedded", async () => {
    const order = async (options: ConstructorParameters<typeof FairEmbedding>[0]) => {
      const fair = new FairEmbedding(options);
      const finished: string[] = [];
      const first = fair
        .embed(
          embedder,
          Array.from({ length: 48 }, (_, i) => sentence(i)),
          "passage",
        )
        .then(() => finished.push("first"));
      const second = fair
        .embed(
          embedder,
          Array.from({ length: 24 }, (_, i) => sentence(100 + i)),
          "passage",
        )
        .then(() => finished.push("second"));
      await Promise.all([first, second]);
      return finished;
    };
    // Taking turns (a server), the shorter write that came second is done first...
    expect(await order({ sliceTexts: 8, slicesInFlight: 2 })).toEqual(["second", "first"]);
    // ...while a bulk load finishes the first batch before the second gets the model.
    expect(await order({ ...bulkSlices, sliceTexts: 8, slicesInFlight: 2 })).toEqual(["first", "second"]);
  });

  it("shares a write shorter than the free slots' slices out evenly between them, so two workers take half each", async () => {
    const sizes: number[] = [];
    const recording = recordingCallSizes(embedder, sizes);
    const fair = new FairEmbedding({ sliceTexts: 8, slicesInFlight: 2 });
    expect(
      await fair.embed(
        recording,
        Array.from({ length: 10 }, (_, i) => sentence(i)),
        "passage",
      ),
    ).toHaveLength(10);
    // Before: 8 + 2, the batch as slow as its 8-text slice.
    expect(sizes).toEqual([5, 5]);
    sizes.length = 0;
    // A long write still goes in full slices; once one slot is free, the rest goes into it.
    await fair.embed(
      recording,
      Array.from({ length: 20 }, (_, i) => sentence(i)),
      "passage",
    );
    expect(sizes).toEqual([8, 8, 4]);
  });

  it("in one call straight to the pool, the same single text waits for the whole batch (what the scheduler changes)", async () => {
    const finished: string[] = [];
    const batch = embedder
      .embed(
        Array.from({ length: 64 }, (_, i) => sentence(i)),
        "passage",
      )
      .then(() => finished.push("batch"));
    const single = embedder.embed(["Ferry strike called off after an overnight deal"], "passage").then(() => finished.push("single"));
    await Promise.all([batch, single]);
    expect(finished).toEqual(["batch", "single"]);
  });

  it("gives every text the vector one call gives it, in order", async () => {
    // The float graph: its vectors do not depend on the texts batched with them, so slicing must
    // not move them at all. The int8 graph (the default) quantises activations per batch, so
    // there the same text comes within cosine 0.995 of its vector in another batch (docs/models.md).
    const float = await WorkerPoolEmbedder.start({ modelId: USE_LITE_MODEL_ID, modelsDir: "models" }, 1);
    try {
      const texts = Array.from({ length: 21 }, (_, i) => sentence(i * 7));
      const direct = await float.embed(texts, "passage");
      const fair = await new FairEmbedding({ sliceTexts: 4, slicesInFlight: 3 }).embed(float, texts, "passage");
      expect(fair).toHaveLength(texts.length);
      fair.forEach((vector, i) => expect(dot(vector, direct[i]!)).toBeGreaterThan(0.9999));
      expect(dot(fair[0]!, direct[1]!)).toBeLessThan(0.9999);
      const int8Direct = await embedder.embed(texts, "passage");
      const int8Fair = await new FairEmbedding({ sliceTexts: 4, slicesInFlight: 3 }).embed(embedder, texts, "passage");
      int8Fair.forEach((vector, i) => expect(dot(vector, int8Direct[i]!)).toBeGreaterThan(0.995));
      expect(dot(int8Fair[0]!, int8Direct[1]!)).toBeLessThan(0.9999);
    } finally {
      await float.close();
    }
  });

  it("rejects a write whose slice fails and goes on serving the others", async () => {
    const fair = new FairEmbedding({ sliceTexts: 2, slicesInFlight: 1 });
    const failing = {
      ...embedder,
      modelId: embedder.modelId,
      dimensions: embedder.dimensions,
      embed: async () => Promise.reject(new Error("model gone")),
      close: async () => {},
    };
    const broken = fair.embed(failing, ["a", "b", "c", "d"], "passage");
    const fine = fair.embed(embedder, [sentence(1), sentence(2), sentence(3)], "passage");
    await expect(broken).rejects.toThrow("model gone");
    expect(await fine).toHaveLength(3);
    const throwing = {
      ...failing,
      embed: () => {
        throw new Error("closed");
      },
    };
    await expect(fair.embed(throwing, ["a", "b", "c"], "passage")).rejects.toThrow("closed");
    expect(await fair.embed(embedder, [sentence(4)], "passage")).toHaveLength(1);
    expect(await fair.embed(embedder, [], "passage")).toEqual([]);
  });

  it("hands the model slices of a few texts in a server, and big slices in a bulk load (kindred index), where no other write waits", async () => {
    const root = useTempDir("kindred-bulk-slices-");
    // Each paragraph brings a subject of its own, named twice, so the selected plan keeps body chunks beside the lead.
    const subjects = ["ferries", "tolls", "dredging", "moorings", "lighthouse", "cranes", "tugboats", "customs", "warehouses", "pilots"];
    const body = (i: number) =>
      subjects
        .map((subject) => `In report ${i} the council turned to ${subject}: members said the ${subject} budget needs a review before the summer season.`)
        .join(" ");
    const articles = Array.from({ length: 48 }, (_, i) => ({
      id: `bulk-${i}`,
      title: `Harbour report ${i}`,
      body: body(i),
      url: null,
      topics: [],
      publishedAt: null,
      publishedMs: null,
      lang: "en",
      source: null,
    }));
    const callSizes = async (bulkLoad: boolean) => {
      const sizes: number[] = [];
      const recording = recordingCallSizes(embedder, sizes);
      const config = testConfig({ dataDir: join(root, bulkLoad ? "bulk" : "server") });
      const { engine, close } = await openEngine(config, silentLogger(), { embedder: recording, inlineWrites: true, bulkLoad });
      try {
        await engine.writeArticles(articles);
      } finally {
        await close();
      }
      return sizes;
    };
    const server = await callSizes(false);
    const bulk = await callSizes(true);
    // Every article is long enough for several passages: more texts than either slice.
    expect(server.reduce((sum, size) => sum + size, 0)).toBeGreaterThan(bulkSlices.sliceTexts);
    expect(Math.max(...server)).toBe(defaultSliceTexts);
    expect(Math.max(...bulk)).toBe(bulkSlices.sliceTexts);
    expect(bulk.length).toBeLessThan(server.length);
  });
});
