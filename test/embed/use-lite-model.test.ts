import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { WorkerPoolEmbedder } from "../../src/embed/worker-pool-embedder.ts";

const dot = (a: Float32Array, b: Float32Array) => a.reduce((sum, value, index) => sum + value * b[index]!, 0);

describe("the bundled model (Universal Sentence Encoder Lite) in worker threads", () => {
  let embedder: WorkerPoolEmbedder;
  beforeAll(async () => {
    embedder = await WorkerPoolEmbedder.start({ modelId: "google/use-lite", modelsDir: "models" }, 2, 4);
  });
  afterAll(() => embedder.close());

  it("reports its id and 512 dimensions and returns unit vectors", async () => {
    expect(embedder.modelId).toBe("google/use-lite");
    expect(embedder.dimensions).toBe(512);
    const [vector] = await embedder.embed(["Hegseth orders a halt to offensive cyber operations against Russia"]);
    expect(vector).toHaveLength(512);
    expect(Math.sqrt(dot(vector!, vector!))).toBeCloseTo(1, 5);
  });

  it("scores related news higher than unrelated news", async () => {
    const [query, related, unrelatedOscars, unrelatedCars] = await embedder.embed([
      "US Defense Secretary orders Cyber Command to pause offensive operations against Russia",
      "The Pentagon denies reports that it halted cyber operations against Russia",
      "Comedian announced as host of next year's Academy Awards ceremony",
      "Electric cars made up nearly all new car sales in Norway last year",
    ]);
    const relatedScore = dot(query!, related!);
    expect(relatedScore).toBeGreaterThan(dot(query!, unrelatedOscars!) + 0.2);
    expect(relatedScore).toBeGreaterThan(dot(query!, unrelatedCars!) + 0.2);
  });

  it("returns vectors in input order across batches and workers", async () => {
    const texts = Array.from(
      { length: 11 },
      (_, index) => `Item ${index}: ${index % 2 === 0 ? "football match report" : "central bank raises interest rates"}`,
    );
    const together = await embedder.embed(texts);
    const alone = await embedder.embed([texts[7]!]);
    expect(together).toHaveLength(11);
    expect(dot(together[7]!, alone[0]!)).toBeGreaterThan(0.9999);
  });
});
