import { describe, expect, it } from "vitest";
import { defaultEmbedWorkers } from "../../src/embed/local-embedders.ts";

describe("default embedding workers", () => {
  it("leaves the main thread a core with the bundled model, and gives other models one worker per core, at most 4", () => {
    expect([1, 2, 4, 8].map((cores) => defaultEmbedWorkers("google/use-lite", cores))).toEqual([1, 1, 3, 3]);
    expect([1, 2, 4, 8].map((cores) => defaultEmbedWorkers("Xenova/all-MiniLM-L6-v2", cores))).toEqual([1, 2, 4, 4]);
  });
});
