import { describe, expect, it } from "vitest";
import { type KeptList, keptListOf, keptNeighbourParts, takeIn } from "../../src/core/related/kept-neighbourhoods.ts";

const options = { capacity: 3, minScore: 3 };

function list(pairs: [number, number][]): KeptList {
  return { labels: Int32Array.from(pairs, ([label]) => label), scores: Float32Array.from(pairs, ([, score]) => score) };
}

function pairsOf(kept: KeptList | null | undefined): [number, number][] {
  return kept == null ? [] : Array.from(kept.labels, (label, index) => [label, kept.scores[index]!]);
}

describe("a kept list", () => {
  it("keeps the first results that score enough, best first", () => {
    const ranked = [
      { label: 7, score: 9 },
      { label: 4, score: 5 },
      { label: 2, score: 2.5 },
      { label: 9, score: 8 },
    ];
    expect(pairsOf(keptListOf(ranked, options))).toEqual([
      [7, 9],
      [4, 5],
    ]);
    expect(pairsOf(keptListOf(ranked, { capacity: 1, minScore: 0 }))).toEqual([[7, 9]]);
  });

  it("takes in an article where it belongs, and the weakest leaves a full list", () => {
    expect(pairsOf(takeIn(undefined, 5, 4, options))).toEqual([[5, 4]]);
    const full = list([
      [1, 9],
      [2, 6],
      [3, 4],
    ]);
    expect(pairsOf(takeIn(full, 5, 7, options))).toEqual([
      [1, 9],
      [5, 7],
      [2, 6],
    ]);
    expect(pairsOf(takeIn(full, 5, 10, options))).toEqual([
      [5, 10],
      [1, 9],
      [2, 6],
    ]);
  });

  it("does not change for a score under the floor, or one no better than a full list's weakest", () => {
    expect(takeIn(undefined, 5, 2.9, options)).toBeNull();
    const full = list([
      [1, 9],
      [2, 6],
      [3, 4],
    ]);
    expect(takeIn(full, 5, 4, options)).toBeNull();
    expect(takeIn(full, 5, 3.5, options)).toBeNull();
  });

  it("moves an article it already holds to its new score", () => {
    const kept = list([
      [1, 9],
      [2, 6],
    ]);
    expect(pairsOf(takeIn(kept, 2, 10, options))).toEqual([
      [2, 10],
      [1, 9],
    ]);
    expect(takeIn(kept, 2, 6, options)).toBeNull();
  });
});

describe("kept-neighbourhood parts", () => {
  // The query 0 has 1, 2 and 3 first. 1 and 2 report its event and list each other and the
  // query; 3 reports another event of the same kind and lists that event's 4 and 5.
  const lists = new Map<number, KeptList>([
    [
      1,
      list([
        [0, 8],
        [2, 7],
      ]),
    ],
    [
      2,
      list([
        [1, 7],
        [0, 6],
      ]),
    ],
    [
      3,
      list([
        [4, 9],
        [5, 8],
      ]),
    ],
  ]);
  const query = { label: 0, first: [1, 2, 3] };

  it("gives the most to a candidate whose list is the query's own first candidates", () => {
    const parts = keptNeighbourParts(
      query,
      [1, 2, 3],
      (label) => lists.get(label),
      () => true,
      4,
    );
    // 1: {1, 0, 2} against {0, 1, 2, 3}: 3 shared of 3 and 4.
    expect(parts[0]).toBeCloseTo((4 * 3) / Math.sqrt(4 * 3), 12);
    expect(parts[1]).toBeCloseTo((4 * 3) / Math.sqrt(4 * 3), 12);
    // 3: {3, 4, 5}: only itself is the query's.
    expect(parts[2]).toBeCloseTo(4 / Math.sqrt(4 * 3), 12);
  });

  it("counts a candidate with no kept list as itself alone, and one outside the query's first as sharing nothing of itself", () => {
    const parts = keptNeighbourParts(
      query,
      [6, 4],
      (label) => lists.get(label),
      () => true,
      4,
    );
    expect(parts[0]).toBe(0);
    expect(parts[1]).toBe(0);
    const inFirst = keptNeighbourParts(
      { label: 0, first: [6] },
      [6],
      () => undefined,
      () => true,
      4,
    );
    expect(inFirst[0]).toBeCloseTo(4 / Math.sqrt(2), 12);
  });

  it("leaves out deleted articles a list still names", () => {
    const parts = keptNeighbourParts(
      query,
      [3],
      (label) => lists.get(label),
      (label) => label !== 4 && label !== 5,
      4,
    );
    // 3 alone: {3} against {0, 1, 2, 3}.
    expect(parts[0]).toBeCloseTo(4 / Math.sqrt(4), 12);
  });

  it("has a query that is not stored count only its first candidates", () => {
    const parts = keptNeighbourParts(
      { label: null, first: [1, 2] },
      [1],
      (label) => lists.get(label),
      () => true,
      4,
    );
    // {1, 0, 2} against {1, 2}: 2 shared.
    expect(parts[0]).toBeCloseTo((4 * 2) / Math.sqrt(2 * 3), 12);
  });

  it("is 0 for a query that is not stored and has no first candidate scoring enough", () => {
    expect(
      Array.from(
        keptNeighbourParts(
          { label: null, first: [] },
          [1, 2],
          (label) => lists.get(label),
          () => true,
          4,
        ),
      ),
    ).toEqual([0, 0]);
  });

  it("is all 0 at weight 0", () => {
    expect(
      Array.from(
        keptNeighbourParts(
          query,
          [1, 2],
          (label) => lists.get(label),
          () => true,
          0,
        ),
      ),
    ).toEqual([0, 0]);
  });
});
