import { describe, expect, it } from "vitest";
import { inStorySizeGroup, storySizeGroupName, storySizeGroups, valuesByStorySize } from "../../src/core/eval/story-size-groups.ts";

describe("story size groups", () => {
  it("names the groups and puts every story of two or more articles in exactly one", () => {
    expect(storySizeGroups.map(storySizeGroupName)).toEqual(["2-5", "6-10", "11+"]);
    for (const size of [2, 5, 6, 10, 11, 400]) expect(storySizeGroups.filter((group) => inStorySizeGroup(group, size)).length, `size ${size}`).toBe(1);
    // A query alone in its story (or in none) has no story figures to split.
    for (const size of [0, 1]) expect(storySizeGroups.some((group) => inStorySizeGroup(group, size))).toBe(false);
  });

  it("keeps each query's value in its own group and nulls it elsewhere, nulls staying null", () => {
    expect(valuesByStorySize([0.5, 1, 0.8, null], [3, 12, 1, 7])).toEqual([
      [0.5, null, null, null],
      [null, null, null, null],
      [null, 1, null, null],
    ]);
  });
});
