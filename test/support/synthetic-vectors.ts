import { mulberry32 } from "../../src/core/seeded-random.ts";

/**
 * Deterministic unit vectors grouped around random centres, shaped like document embeddings
 * (topics as clusters). For index tests that need thousands of vectors; the model is tested
 * on its own, and end-to-end tests use real embeddings.
 */
export function clusteredUnitVectors(count: number, dimensions: number, clusters: number, seed: number): Float32Array[] {
  const random = mulberry32(seed);
  const gaussian = () => Math.sqrt(-2 * Math.log(random() + 1e-12)) * Math.cos(2 * Math.PI * random());
  const centreRandom = mulberry32(12345);
  const centreGaussian = () => Math.sqrt(-2 * Math.log(centreRandom() + 1e-12)) * Math.cos(2 * Math.PI * centreRandom());
  const centres = Array.from({ length: clusters }, () => Float32Array.from({ length: dimensions }, centreGaussian));
  return Array.from({ length: count }, () => {
    const centre = centres[Math.floor(random() * clusters)]!;
    const vector = Float32Array.from(centre, (value) => value + 0.9 * gaussian());
    const norm = Math.hypot(...vector);
    return vector.map((value) => value / norm);
  });
}

/** A small seeded generator of numbers in [0, 1) (mulberry32), for reproducible tests: the core's. */
export { mulberry32 };
