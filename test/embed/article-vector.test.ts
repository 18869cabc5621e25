import { describe, expect, it } from "vitest";
import { hashEmbedInput } from "../../src/core/content-hash.ts";
import { passageLimits } from "../../src/core/embed-text.ts";
import { articleVector, embedHashOf } from "../../src/engine/embed-articles.ts";

const unit = (...values: number[]) => {
  const norm = Math.hypot(...values);
  return Float32Array.from(values, (value) => value / norm);
};

describe("an article's vector from its passages", () => {
  it("counts the lead twice: the normalised sum of twice the lead and each chunk once", () => {
    const lead = unit(1, 0, 0);
    const chunk = unit(0, 1, 0);
    const vector = articleVector([lead, chunk]);
    // 2 * (1, 0, 0) + (0, 1, 0), normalised: the lead's axis carries twice the chunk's.
    expect(passageLimits.leadWeight).toBe(2);
    expect(vector[0]).toBeCloseTo(2 / Math.sqrt(5), 6);
    expect(vector[1]).toBeCloseTo(1 / Math.sqrt(5), 6);
    expect(vector[2]).toBe(0);
  });

  it("keeps a one-passage article's vector its passage's (normalised) and leaves the passages' own vectors untouched", () => {
    const lead = unit(3, 4, 0);
    const copy = Float32Array.from(lead);
    expect([...articleVector([lead])].map((value) => Number(value.toFixed(6)))).toEqual([0.6, 0.8, 0]);
    articleVector([lead, unit(0, 0, 1)]);
    expect(lead).toEqual(copy);
  });
});

describe("the hash of what the model reads", () => {
  it("keeps a one-passage article's hash as it was, and marks a longer article's as made with the weighted lead", () => {
    // One passage: the version 1 hash, the text alone, so short articles are not re-embedded.
    expect(embedHashOf("m", ["short article"])).toBe(hashEmbedInput("m", "short article"));
    // Several: not the hash of the plain mean's input, so a vector stored before the weighting is made again.
    const passages = ["the lead of a long article", "a chunk of its body"];
    expect(embedHashOf("m", passages)).not.toBe(hashEmbedInput("m", passages.join("\u0000")));
    expect(embedHashOf("m", passages)).toBe(embedHashOf("m", [...passages]));
  });
});
