import { describe, expect, it } from "vitest";
import { centeredCosine } from "../../src/core/related/centered-cosine.ts";
import { VectorCentroid } from "../../src/engine/vector-centroid.ts";
import { ExactVectorIndex } from "../../src/vectors/exact-vector-index.ts";
import { clusteredUnitVectors } from "../support/synthetic-vectors.ts";

describe("centring dense scores", () => {
  it("computes the cosine of the centred vectors from the uncentred ones", () => {
    const [v, x, m] = clusteredUnitVectors(3, 16, 2, 7);
    const centre = (a: Float32Array) => a.map((value, i) => value - m![i]!);
    const cv = centre(v!);
    const cx = centre(x!);
    const cosine = cv.reduce((sum, value, i) => sum + value * cx[i]!, 0) / (Math.hypot(...cv) * Math.hypot(...cx));
    expect(centeredCosine(v!, x!, { vector: m!, normSquared: m!.reduce((sum, value) => sum + value * value, 0) })).toBeCloseTo(cosine, 6);
  });

  it("keeps the mean right through adds, replacements and removals", () => {
    const vectors = clusteredUnitVectors(50, 8, 3, 11);
    const exact = new ExactVectorIndex(8);
    vectors.slice(0, 40).forEach((vector, label) => exact.upsert(label, vector));
    const centroid = new VectorCentroid(exact);
    for (let label = 40; label < 50; label++) {
      exact.upsert(label, vectors[label]!);
      centroid.add(vectors[label]!);
    }
    centroid.remove(exact.getVector(3)!);
    exact.upsert(3, vectors[45]!);
    centroid.add(vectors[45]!);
    centroid.remove(exact.getVector(7)!);
    exact.remove(7);
    const fresh = new VectorCentroid(exact).mean()!;
    const kept = centroid.mean()!;
    for (let i = 0; i < 8; i++) expect(kept.vector[i]).toBeCloseTo(fresh.vector[i]!, 6);
    expect(kept.normSquared).toBeCloseTo(fresh.normSquared, 6);
  });
});
