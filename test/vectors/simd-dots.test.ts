import { describe, expect, it } from "vitest";
import { mulberry32 } from "../../src/core/seeded-random.ts";
import { ExactVectorIndex } from "../../src/vectors/exact-vector-index.ts";
import { simdDotsModule } from "../../src/vectors/simd-dots-kernel.ts";
import { dotAt, dotsAt, squaresAt } from "../../src/vectors/stored-vector-dots.ts";
import { TopK } from "../../src/vectors/top-k.ts";
import { VectorStorage } from "../../src/vectors/vector-storage.ts";

/**
 * The SIMD kernel must give the plain loop's doubles, bit for bit (issue 14: lists must not move).
 * Floats of widely spread magnitudes make every rounding show: summed in another order, some
 * products would round differently (checked below, so the comparison can fail).
 */
const random = mulberry32(2026);
const spreadFloat = () => (random() - 0.5) * 2 ** Math.floor(random() * 40 - 20);
const spreadVector = (dimensions: number) => Float32Array.from({ length: dimensions }, spreadFloat);

function filledStorage(dimensions: number, rows: number, useKernel: boolean): VectorStorage {
  const storage = new VectorStorage(dimensions, dimensions * rows, { useKernel });
  for (let row = 0; row < rows; row++) storage.floats.set(spreadVector(dimensions), row * dimensions);
  return storage;
}

/** A pool of `size` stored rows (repeats allowed), positions a shuffled subset with gaps. */
function randomPool(rows: number, dimensions: number, size: number): { offsets: Int32Array; positions: Int32Array } {
  const offsets = Int32Array.from({ length: size + 5 }, () => Math.floor(random() * rows) * dimensions);
  const positions = Int32Array.from(
    Array.from({ length: size + 5 }, (_, position) => position)
      .sort(() => random() - 0.5)
      .slice(0, size),
  );
  return { offsets, positions };
}

function expectSameDoubles(actual: Float64Array, expected: Float64Array, what: string): void {
  const differing = Array.from(expected.keys()).filter((position) => !Object.is(actual[position], expected[position]));
  expect(differing, `${what}: positions whose double differs`).toEqual([]);
}

describe("the SIMD inner-product kernel", () => {
  it("runs on this Node (WebAssembly SIMD), so the comparisons below test it", () => {
    expect(simdDotsModule()).not.toBeNull();
    expect(new VectorStorage(512, 512).simd).toBe(true);
    expect(new VectorStorage(37, 37).simd).toBe(false);
  });

  it.each([4, 8, 36, 512])("gives the plain loops' doubles for %i dimensions on many random pools, with a query and squared", (dimensions) => {
    const rows = 300;
    const storage = filledStorage(dimensions, rows, true);
    expect(storage.simd).toBe(true);
    let orderShows = false;
    for (const size of [0, 1, 2, 3, 4, 5, 7, 8, 9, 150, 511, 512, 513, 1030]) {
      const { offsets, positions } = randomPool(rows, dimensions, size);
      for (let trial = 0; trial < 3; trial++) {
        const query = spreadVector(dimensions);
        const expected = new Float64Array(offsets.length).fill(-1);
        dotsAt(query, storage.floats, dimensions, offsets, positions, expected);
        const actual = new Float64Array(offsets.length).fill(-1);
        storage.dotsAt(query, offsets, positions, actual);
        expectSameDoubles(actual, expected, `${size} candidates`);
        const expectedSquares = new Float64Array(offsets.length).fill(-1);
        squaresAt(storage.floats, dimensions, offsets, positions, expectedSquares);
        const squares = new Float64Array(offsets.length).fill(-1);
        storage.squaresAt(offsets, positions, squares);
        expectSameDoubles(squares, expectedSquares, `${size} candidates' squares`);
        for (const position of positions) {
          let reversed = 0;
          for (let i = dimensions - 1; i >= 0; i--) reversed += query[i]! * storage.floats[offsets[position]! + i]!;
          if (!Object.is(reversed, dotAt(query, storage.floats, offsets[position]!, dimensions))) orderShows = true;
        }
      }
    }
    expect(orderShows, "some sum differs when added in another order").toBe(true);
  });

  it("keeps giving the same doubles as it grows, and a vector's view taken before growth still reads it", () => {
    const dimensions = 512;
    const index = new ExactVectorIndex(dimensions, 1);
    const reference = new ExactVectorIndex(dimensions, 1);
    const stored = new Map<number, Float32Array>();
    index.upsert(
      1000,
      Float32Array.from({ length: dimensions }, (_, i) => i),
    );
    const early = index.getVector(1000)!;
    for (let label = 1; label <= 700; label++) {
      const vector = spreadVector(dimensions);
      stored.set(label, vector);
      index.upsert(label, vector);
      if (label % 5 === 0) index.remove(label - 3);
    }
    for (const [label, vector] of stored) {
      if (label % 5 === 2 && label <= 697) stored.delete(label);
      else reference.upsert(label, vector);
    }
    expect(Array.from(early)).toEqual(Array.from({ length: dimensions }, (_, i) => i));
    for (const [label, vector] of stored) expect(Array.from(index.getVector(label)!)).toEqual(Array.from(vector));
    const labels = [...stored.keys()];
    const offsets = Int32Array.from(labels, (label) => index.offsetOf(label));
    const positions = Int32Array.from(labels.keys());
    const query = spreadVector(dimensions);
    const actual = new Float64Array(labels.length);
    index.dotsAt(query, offsets, positions, actual);
    const expected = Float64Array.from(labels, (label) => dotAt(query, reference.getVector(label)!, 0, dimensions));
    expectSameDoubles(actual, expected, "after growth");
  });

  it("scores an index made from packed vectors, and after upserts into it, as the plain loop does", () => {
    const dimensions = 64;
    const labels = Array.from({ length: 40 }, (_, row) => row * 2 + 1);
    const packed = Float32Array.from({ length: labels.length * dimensions }, spreadFloat);
    const index = ExactVectorIndex.fromPacked(dimensions, labels, packed);
    for (let label = 100; label < 1200; label++) index.upsert(label, spreadVector(dimensions));
    const all = [...labels, ...Array.from({ length: 1100 }, (_, n) => n + 100)];
    expect(Array.from(index.getVector(labels[7]!)!)).toEqual(Array.from(packed.subarray(7 * dimensions, 8 * dimensions)));
    const offsets = Int32Array.from(all, (label) => index.offsetOf(label));
    const positions = Int32Array.from(all.keys());
    const query = spreadVector(dimensions);
    const actual = new Float64Array(all.length);
    index.dotsAt(query, offsets, positions, actual);
    const expected = new Float64Array(all.length);
    dotsAt(query, index.storage(), dimensions, offsets, positions, expected);
    expectSameDoubles(actual, expected, "packed then upserted");
  });

  it("leaves the exact index's searches as scoring one vector at a time gives them: same neighbours, same doubles", () => {
    const dimensions = 512;
    const index = new ExactVectorIndex(dimensions, 16);
    for (let label = 0; label < 2600; label++) index.upsert(label * 3, spreadVector(dimensions));
    for (let label = 0; label < 2600; label += 13) index.remove(label * 3);
    const oneAtATime = (query: Float32Array, labels: Iterable<number>, k: number, filter: (label: number) => boolean) => {
      const top = new TopK(k);
      for (const label of labels) {
        const vector = index.getVector(label);
        if (vector !== null && filter(label)) top.offer(label, dotAt(query, vector, 0, dimensions));
      }
      return top.sorted();
    };
    const everyOther = (label: number) => label % 2 === 0;
    for (let trial = 0; trial < 4; trial++) {
      const query = spreadVector(dimensions);
      const slotOrder = Array.from({ length: 2600 }, (_, n) => n * 3);
      expect(index.search(query, 25)).toEqual(oneAtATime(query, slotOrder, 25, () => true));
      expect(index.search(query, 10, everyOther)).toEqual(oneAtATime(query, slotOrder, 10, everyOther));
      const some = Array.from({ length: 1500 }, () => Math.floor(random() * 8000));
      expect(index.searchAmong(query, some, 40, everyOther)).toEqual(oneAtATime(query, some, 40, everyOther));
      const ranges = new TopK(25);
      for (let from = 0; from < index.slotCount(); from += 700) index.scanSlots(query, from, from + 700, ranges);
      expect(ranges.sorted()).toEqual(index.search(query, 25));
    }
  });
});
