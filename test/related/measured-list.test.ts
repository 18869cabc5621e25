import { describe, expect, it } from "vitest";
import { countMisses, missedMembers } from "../../src/core/eval/measured-list.ts";

describe("missedMembers", () => {
  const story = ["q", "a", "a-copy", "q-copy", "b", "c"];
  const isCopyOfQuery = (id: string) => id === "q-copy";

  it("tells folding's costs from the ranking's misses, and leaves out the query and what the list shows", () => {
    const shown = [
      { id: "a", copies: ["a-copy"] },
      { id: "x", copies: [] },
    ];
    expect(missedMembers("q", story, shown, isCopyOfQuery)).toEqual([
      { id: "a-copy", reason: "folded", into: "a" },
      { id: "q-copy", reason: "copy-of-query" },
      { id: "b", reason: "not-listed" },
      { id: "c", reason: "not-listed" },
    ]);
  });

  it("misses nothing when the list shows every member, and counts a copy shown itself as shown", () => {
    const shown = [
      { id: "a-copy", copies: ["a"] },
      { id: "b", copies: [] },
      { id: "c", copies: [] },
      { id: "q-copy", copies: [] },
    ];
    expect(missedMembers("q", story, shown, isCopyOfQuery)).toEqual([{ id: "a", reason: "folded", into: "a-copy" }]);
    expect(missedMembers("q", ["q"], [], isCopyOfQuery)).toEqual([]);
  });

  it("sums the misses of many lists by why", () => {
    const counts = { folded: 0, copyOfQuery: 0, notListed: 0 };
    countMisses(counts, missedMembers("q", story, [{ id: "a", copies: ["a-copy"] }], isCopyOfQuery));
    countMisses(
      counts,
      missedMembers("b", story, [{ id: "q", copies: [] }], () => false),
    );
    // The first list misses a-copy (folded), q-copy (the query's) and b and c; the second, with
    // no copy of b about, misses a, a-copy, q-copy and c, none of them folded.
    expect(counts).toEqual({ folded: 1, copyOfQuery: 1, notListed: 6 });
  });
});
