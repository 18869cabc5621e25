import { describe, expect, it } from "vitest";
import { mulberry32 } from "../../src/core/seeded-random.ts";
import { PairLists } from "../../src/engine/pair-lists.ts";

function listOf(lists: PairLists, key: number): [number, number][] {
  const { ints, floats } = lists.view(key);
  return Array.from(ints, (value, i) => [value, floats[i]!]);
}

const sorted = (pairs: [number, number][]) => [...pairs].sort((a, b) => a[0] - b[0]);

describe("lists of pairs in one slab", () => {
  it("holds what a map of arrays holds through growth, moves and compactions", () => {
    const random = mulberry32(3);
    const lists = new PairLists({ initialSlots: 16, minimumHoles: 32 });
    const model = new Map<number, [number, number][]>();
    lists.ensureKeys(200);
    let compactions = 0;
    let grown = 0;
    for (let step = 0; step < 20_000; step++) {
      const key = Math.floor(random() * random() * 200);
      const pairs = model.get(key) ?? [];
      const before = lists.usage();
      const choice = random();
      if (choice < 0.55) {
        // Values are distinct within a list, as labels are in a posting list.
        let value = Math.floor(random() * 1000);
        while (pairs.some((pair) => pair[0] === value)) value = Math.floor(random() * 1000);
        const weight = Math.fround(random());
        lists.append(key, value, weight);
        pairs.push([value, weight]);
      } else if (choice < 0.8 && pairs.length > 0) {
        const [value] = pairs[Math.floor(random() * pairs.length)]!;
        expect(lists.removeValue(key, value)).toBe(true);
        pairs.splice(
          pairs.findIndex((pair) => pair[0] === value),
          1,
        );
      } else if (choice < 0.95) {
        const fresh = Array.from({ length: Math.floor(random() * 30) }, (_, i): [number, number] => [
          i * 1000 + Math.floor(random() * 1000),
          Math.fround(random()),
        ]);
        lists.set(
          key,
          fresh.map((pair) => pair[0]),
          fresh.map((pair) => pair[1]),
        );
        pairs.splice(0, pairs.length, ...fresh);
      } else {
        lists.clear(key);
        pairs.length = 0;
      }
      model.set(key, pairs);
      const after = lists.usage();
      if (after.holes < before.holes && after.used < before.used) compactions++;
      if (after.slots > before.slots) grown++;
      expect(after.holes).toBeLessThanOrEqual(Math.max(32, after.used / 2));
      expect(sorted(listOf(lists, key))).toEqual(sorted(pairs));
    }
    expect(compactions).toBeGreaterThan(10);
    expect(grown).toBeGreaterThan(0);
    for (const [key, pairs] of model) expect(sorted(listOf(lists, key)), `key ${key}`).toEqual(sorted(pairs));
    expect(lists.removeValue(0, 5000)).toBe(false);

    // Packed (lists end to end in key order, as a saved index holds them) after all that churn,
    // with lists scattered over the slab, and back: every list as it was, pair for pair.
    const packed = lists.packed();
    // Every key the lists have room for (at least the 200 used).
    const keys = packed.lengths.length;
    expect(keys).toBeGreaterThanOrEqual(200);
    const expected = Array.from({ length: keys }, (_, key) => listOf(lists, key));
    expect(Array.from(packed.lengths)).toEqual(expected.map((pairs) => pairs.length));
    expect(Array.from(packed.ints)).toEqual(expected.flat().map((pair) => pair[0]));
    expect(Array.from(packed.floats)).toEqual(expected.flat().map((pair) => pair[1]));
    const unpacked = PairLists.fromPacked(packed);
    for (let key = 0; key < keys; key++) expect(listOf(unpacked, key), `key ${key}`).toEqual(expected[key]);
    // Packed again from lists lying end to end: the same arrays.
    expect(unpacked.packed()).toEqual(packed);
  });

  it("keeps a list's order when it moves, and fills a removed pair's place with the last", () => {
    const lists = new PairLists({ initialSlots: 4, minimumHoles: 1 });
    for (let value = 0; value < 9; value++) lists.append(1, value, value / 10);
    lists.append(2, 100, 1);
    expect(listOf(lists, 1).map((pair) => pair[0])).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8]);
    lists.removeValue(1, 2);
    expect(listOf(lists, 1).map((pair) => pair[0])).toEqual([0, 1, 8, 3, 4, 5, 6, 7]);
    expect(listOf(lists, 1)[2]![1]).toBeCloseTo(0.8, 6);
  });

  it("gives its room back when most lists are cleared, and a view read before keeps its contents", () => {
    const lists = new PairLists({ initialSlots: 64, minimumHoles: 64 });
    lists.ensureKeys(1000);
    for (let key = 0; key < 1000; key++) lists.set(key, [key, key + 1, key + 2], [1, 2, 3]);
    const full = lists.usage();
    expect(full.used).toBe(3000);
    expect(full.holes).toBe(0);
    const kept = lists.view(999);
    for (let key = 0; key < 990; key++) lists.clear(key);
    const after = lists.usage();
    expect(after.used).toBeLessThan(100);
    expect(after.slots).toBeLessThan(full.slots / 3);
    expect(Array.from(kept.ints)).toEqual([999, 1000, 1001]);
    expect(listOf(lists, 995)).toEqual([
      [995, 1],
      [996, 2],
      [997, 3],
    ]);
  });

  it("trims a bulk load's holes and spare room down to its lists and a quarter more, and grows again after", () => {
    const lists = new PairLists({ initialSlots: 16, minimumHoles: 1 << 20 });
    lists.ensureKeys(300);
    for (let value = 0; value < 3000; value++) lists.append(value % 300, value, value);
    expect(lists.usage().holes).toBeGreaterThan(0);
    lists.trim();
    expect(lists.usage()).toEqual({ slots: 3750, used: 3000, holes: 0 });
    lists.append(7, 5000, 1);
    expect(listOf(lists, 7).map((pair) => pair[0])).toEqual([...Array.from({ length: 10 }, (_, i) => 7 + 300 * i), 5000]);
    expect(listOf(lists, 8)).toHaveLength(10);
  });

  it("takes the marked values out of one list, the rest closing up in order, and leaves the other lists alone", () => {
    const lists = new PairLists({ initialSlots: 16 });
    lists.ensureKeys(3);
    lists.set(0, [4, 9, 2, 7, 9], [0.5, 0.25, 0.75, 1, 2]);
    lists.set(1, [9, 2], [1, 1]);
    const marked = new Uint8Array(10);
    marked[9] = 1;
    marked[7] = 1;
    expect(lists.removeMarked(0, marked)).toBe(3);
    expect(listOf(lists, 0)).toEqual([
      [4, 0.5],
      [2, 0.75],
    ]);
    expect(listOf(lists, 1)).toEqual([
      [9, 1],
      [2, 1],
    ]);
    expect(lists.removeMarked(0, marked)).toBe(0);
    // The room stays the list's own: it grows back into it.
    lists.append(0, 3, 0.125);
    expect(listOf(lists, 0).map((pair) => pair[0])).toEqual([4, 2, 3]);
    expect(listOf(lists, 1)).toHaveLength(2);
  });
});
