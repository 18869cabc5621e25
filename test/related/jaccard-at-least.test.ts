import { describe, expect, it } from "vitest";
import { estimateJaccard, jaccardAtLeast, signatureLength } from "../../src/core/related/shingle-signature.ts";
import { mulberry32 } from "../../src/core/seeded-random.ts";

describe("jaccardAtLeast", () => {
  it("answers exactly what estimateJaccard(a, b) >= threshold answers, empty slots included", () => {
    const random = mulberry32(14);
    let agreements = 0;
    for (let pair = 0; pair < 2_000; pair++) {
      const a = Uint32Array.from({ length: signatureLength }, () => (random() < 0.05 ? 0xffffffff : Math.floor(random() * 4)));
      const changeShare = random(); // from near copies to unrelated signatures
      const b = Uint32Array.from(a, (value) => (random() < changeShare ? Math.floor(random() * 4) : value));
      for (const threshold of [0, 0.3, 0.59375, 0.6, 0.61, 0.9, 1]) {
        expect(jaccardAtLeast(a, b, threshold), `pair ${pair} at ${threshold}`).toBe(estimateJaccard(a, b) >= threshold);
        if (estimateJaccard(a, b) >= threshold) agreements++;
      }
    }
    expect(agreements).toBeGreaterThan(1_000); // both answers occur often
  });
});
