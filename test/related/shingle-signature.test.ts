import { describe, expect, it } from "vitest";
import { normalizedWords, shingleSignature, signatureLength } from "../../src/core/related/shingle-signature.ts";
import { mulberry32 } from "../../src/core/seeded-random.ts";
import { readDemoSlice } from "../support/demo-slice.ts";

/**
 * The signature as it was first written: each shingle joined into a string and hashed, the hash
 * family read from objects. Stored signatures must stay comparable with new ones, so the faster
 * code has to give exactly this.
 */
function referenceSignature(text: string): Uint32Array {
  const random = mulberry32(0x9e3779b9);
  const next = () => random() * 4294967296;
  const family = Array.from({ length: signatureLength }, () => ({ multiplier: next() | 1, offset: next() }));
  const fnv1a = (shingle: string) => {
    let hash = 0x811c9dc5;
    for (let i = 0; i < shingle.length; i++) {
      hash ^= shingle.charCodeAt(i);
      hash = Math.imul(hash, 0x01000193);
    }
    return hash >>> 0;
  };
  const words = normalizedWords(text);
  const signature = new Uint32Array(signatureLength).fill(0xffffffff);
  if (words.length === 0) return signature;
  for (let start = 0; start < Math.max(1, words.length - 5 + 1); start++) {
    const shingle = fnv1a(words.slice(start, start + 5).join(" "));
    for (const [i, { multiplier, offset }] of family.entries()) {
      const hashed = (Math.imul(shingle ^ offset, multiplier) ^ (Math.imul(shingle, 0x85ebca6b) >>> 13)) >>> 0;
      if (hashed < signature[i]!) signature[i] = hashed;
    }
  }
  return signature;
}

describe("shingleSignature", () => {
  it("gives exactly the signature of shingles joined and hashed one by one, on real and odd texts", async () => {
    const demo = await readDemoSlice("2025-03-01", "2025-03-10");
    const texts = [
      ...demo.map((record) => `${record.title} ${record.body ?? record.text ?? ""}`),
      "",
      "one",
      "four words only here",
      "exactly five words are here",
      "Ünïcödé wörds, ＦＵＬＬＷＩＤＴＨ letters and 数字 12 ３４ mixed in — with 🙂 between them.",
    ];
    expect(texts.length).toBeGreaterThan(100);
    for (const text of texts) expect(shingleSignature(text), text.slice(0, 60)).toEqual(referenceSignature(text));
  });
});
