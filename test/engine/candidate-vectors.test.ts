import { describe, expect, it } from "vitest";
import { centeredCosine } from "../../src/core/related/centered-cosine.ts";
import { mulberry32 } from "../../src/core/seeded-random.ts";
import { dot } from "../../src/core/vector-math.ts";
import { CandidateVectors } from "../../src/engine/candidate-vectors.ts";
import { ExactVectorIndex } from "../../src/vectors/exact-vector-index.ts";

/**
 * A pool's dense scores are computed several candidates at a time (issue 14: one inner product
 * is a chain of dependent additions, most of a list's dense scoring time). Lists must not move
 * by one bit, so every score is compared with `dot` and `centeredCosine`, one vector at a time,
 * with Object.is: pool sizes on either side of the groups of four and eight, labels without a
 * stored vector, with and without a centroid, for the query and for another probe; in 37
 * dimensions (the plain loop) and 512 (the model's, where the SIMD kernel runs).
 */
const random = mulberry32(1414);

describe.each([37, 512])("CandidateVectors in %i dimensions", (dimensions) => {
  const unitVector = () => {
    const vector = Float32Array.from({ length: dimensions }, () => random() * 2 - 1);
    const norm = Math.sqrt(dot(vector, vector));
    return vector.map((value) => value / norm);
  };
  const labels = Array.from({ length: 60 }, (_, i) => i * 3 + 1);
  const exact = ExactVectorIndex.fromPacked(dimensions, labels, Float32Array.from(labels.flatMap(() => Array.from(unitVector()))));
  const mean = unitVector().map((value) => value * 0.3);
  const centroid = { vector: mean, normSquared: dot(mean, mean) };

  it.each([0, 1, 3, 4, 7, 8, 9, 17, 31, 45])("scores a pool of %i exactly as one vector at a time", (size) => {
    // Some labels the index does not hold (score 0), the rest a shuffled subset.
    const pool = labels
      .slice()
      .sort(() => random() - 0.5)
      .slice(0, size)
      .map((label, index) => (index % 11 === 5 ? label + 1 : label));
    const query = unitVector();
    const probe = unitVector();
    for (const mean of [null, centroid]) {
      const vectors = new CandidateVectors(exact, query, mean, pool);
      const expected = (vector: Float32Array, label: number) => {
        const stored = exact.getVector(label);
        if (stored === null) return 0;
        return mean === null ? dot(vector, stored) : centeredCosine(vector, stored, mean);
      };
      pool.forEach((label, position) => {
        const stored = exact.getVector(label);
        expect(Object.is(vectors.cosines[position], stored === null ? 0 : dot(query, stored)), `cosine of ${label}`).toBe(true);
      });
      for (const vector of [query, probe]) {
        const scores = vectors.denseScores(vector);
        pool.forEach((label, position) => {
          expect(Object.is(scores[position], expected(vector, label)), `score of ${label} (${mean === null ? "plain" : "centred"})`).toBe(true);
        });
      }
      // A second pool on the same centroid reads its cached x.m and x.x: still the same numbers.
      const again = new CandidateVectors(exact, query, mean, pool).denseScores(probe);
      pool.forEach((label, position) => expect(Object.is(again[position], expected(probe, label))).toBe(true));
    }
  });
});
