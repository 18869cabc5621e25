import { describe, expect, it } from "vitest";
import { groupBySimilarLength, PADDING_ID, packTokenBatches } from "./pack-token-batches.ts";

describe("packTokenBatches", () => {
  it("groups texts of similar length and pads each batch only to its own longest row", () => {
    const tokenIds = [[1], [1, 2, 3, 4, 5, 6], [1, 2], [1, 2, 3, 4, 5]];
    const batches = packTokenBatches(tokenIds, { maxBatchSize: 2, maxBatchTokens: 1000 });
    expect(batches.map((batch) => batch.indices)).toEqual([
      [1, 3],
      [2, 0],
    ]);
    expect(batches.map((batch) => batch.sequenceLength)).toEqual([6, 2]);
    expect(Array.from(batches[1]!.inputIds)).toEqual([1n, 2n, 1n, BigInt(PADDING_ID)]);
    expect(Array.from(batches[1]!.attentionMask)).toEqual([1n, 1n, 1n, 0n]);
  });

  it("caps padded tokens per batch, so long texts go in smaller batches than short ones", () => {
    const long = Array.from({ length: 100 }, (_, index) => index);
    const tokenIds = [long, long, long, long, [1], [2], [3], [4]];
    const batches = packTokenBatches(tokenIds, { maxBatchSize: 32, maxBatchTokens: 200 });
    expect(batches.map((batch) => batch.batchSize)).toEqual([2, 2, 4]);
    for (const batch of batches) expect(batch.batchSize * batch.sequenceLength).toBeLessThanOrEqual(200);
  });

  it("gives an empty text one fully masked position instead of a zero-length batch", () => {
    const [batch] = packTokenBatches([[]], { maxBatchSize: 8, maxBatchTokens: 100 });
    expect(batch!.sequenceLength).toBe(1);
    expect(Array.from(batch!.attentionMask)).toEqual([0n]);
  });

  it("covers every input exactly once", () => {
    const tokenIds = Array.from({ length: 50 }, (_, index) => Array.from({ length: (index * 7) % 13 }, () => 5));
    const indices = packTokenBatches(tokenIds, { maxBatchSize: 8, maxBatchTokens: 40 }).flatMap((batch) => batch.indices);
    expect(indices.sort((a, b) => a - b)).toEqual(tokenIds.map((_, index) => index));
  });
});

describe("groupBySimilarLength", () => {
  it("puts the passages of several articles into groups by length, every position exactly once", () => {
    // Two articles' lead, chunk, chunk and a title-only item, in the order a write sends them.
    const texts = ["lead one ".repeat(20), "chunk one ".repeat(12), "chunk two ".repeat(11), "lead two ".repeat(21), "chunk three ".repeat(10), "title"];
    const groups = groupBySimilarLength(texts, 2);
    expect(groups).toEqual([
      [3, 0],
      [1, 4],
      [2, 5],
    ]);
    expect(groups.flat().sort()).toEqual([0, 1, 2, 3, 4, 5]);
    expect(groupBySimilarLength([], 32)).toEqual([]);
  });
});
