import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { dot } from "../../src/core/vector-math.ts";
import { FairEmbedding } from "../../src/engine/fair-embedding.ts";
import { CountingEmbedder } from "../support/open-test-engine.ts";

const sentence = (i: number) => `Report ${i}: the council approved a new budget for the harbour district after a long debate about ferries.`;

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
    const texts = Array.from({ length: 21 }, (_, i) => sentence(i * 7));
    const direct = await embedder.embed(texts, "passage");
    const fair = await new FairEmbedding({ sliceTexts: 4, slicesInFlight: 3 }).embed(embedder, texts, "passage");
    expect(fair).toHaveLength(texts.length);
    fair.forEach((vector, i) => expect(dot(vector, direct[i]!)).toBeGreaterThan(0.9999));
    expect(dot(fair[0]!, direct[1]!)).toBeLessThan(0.9999);
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
});
