import { describe, expect, it } from "vitest";
import { bCubed } from "../../src/core/eval/thread-metrics.ts";
import type { CatalogEntry } from "../../src/core/related/catalog-entry.ts";
import { buildStoryThread, sameStoryScore, storyThreadModel } from "../../src/core/story/story-thread.ts";

const day = 86_400_000;
let nextLabel = 0;
function entry(id: string, date: string | null, textHash = id): CatalogEntry {
  return {
    label: nextLabel++,
    id,
    title: id,
    url: null,
    topics: [],
    publishedAt: date,
    publishedMs: date === null ? null : Date.parse(date),
    textHash,
    signature: Uint32Array.from({ length: 64 }, (_, i) => (textHash.charCodeAt(i % textHash.length) * 2654435761 + i * 97) >>> 0),
    words: 100,
    lang: "en",
  };
}

describe("same-story score", () => {
  const query = entry("q", "2025-03-02");
  it("rises with cosine, with the ranking's parts and with closeness in time", () => {
    const near = entry("near", "2025-03-03");
    const far = entry("far", "2025-09-03");
    const base = { cosine: 0.8, dense: 2, lexical: 1 };
    expect(sameStoryScore(query, { entry: near, ...base, cosine: 0.9 })).toBeGreaterThan(sameStoryScore(query, { entry: near, ...base }));
    expect(sameStoryScore(query, { entry: near, ...base, dense: 3 })).toBeGreaterThan(sameStoryScore(query, { entry: near, ...base }));
    expect(sameStoryScore(query, { entry: near, ...base })).toBeGreaterThan(sameStoryScore(query, { entry: far, ...base }));
  });
  it("keeps an unrelated candidate out however the pool is spread: a low cosine scores low", () => {
    expect(sameStoryScore(query, { entry: entry("x", "2025-03-02"), cosine: 0.3, dense: 1, lexical: 0.5 })).toBeLessThan(storyThreadModel.threshold);
  });
});

describe("buildStoryThread", () => {
  const query = entry("q", "2025-03-02");
  const strong = { cosine: 0.95, dense: 4, lexical: 3 };
  const weak = { cosine: 0.3, dense: 0, lexical: 0 };

  it("keeps candidates at or above the threshold, in time order, marked against the article", () => {
    const thread = buildStoryThread(
      query,
      [
        { entry: entry("after", "2025-03-05"), ...strong },
        { entry: entry("before", "2025-02-27"), ...strong },
        { entry: entry("unrelated", "2025-03-02"), ...weak },
        { entry: entry("undated", null), ...strong },
      ],
      { sinceMs: null },
    );
    expect(thread.members.map((member) => [member.entry.id, member.relation])).toEqual([
      ["before", "earlier"],
      ["after", "later"],
      ["undated", "undated"],
    ]);
    expect(thread.members[0]!.daysApart).toBeCloseTo(-3);
    expect(thread.beforeSince).toBe(0);
  });

  it("marks copies of the article's text as copies, whatever their score", () => {
    const thread = buildStoryThread(query, [{ entry: entry("near-copy", "2025-03-03", "q"), ...weak }], {
      copies: [entry("wire-copy", "2025-03-02", "q")],
      sinceMs: null,
    });
    expect(thread.members.map((member) => [member.entry.id, member.relation])).toEqual([
      ["wire-copy", "copy"],
      ["near-copy", "copy"],
    ]);
  });

  it("with since, shows only what was published on or after it and counts what it left out", () => {
    const candidates = ["2025-02-20", "2025-03-01", "2025-03-04", "2025-03-06"].map((date) => ({ entry: entry(`a-${date}`, date), ...strong }));
    const thread = buildStoryThread(query, candidates, { sinceMs: Date.parse("2025-03-04") });
    expect(thread.members.map((member) => member.entry.publishedAt)).toEqual(["2025-03-04", "2025-03-06"]);
    expect(thread.beforeSince).toBe(2);
    expect(thread.members.every((member) => member.entry.publishedMs! >= Date.parse("2025-03-04"))).toBe(true);
    void day;
  });
});

describe("B-cubed of threads", () => {
  const stories = new Map<string, string | null>([
    ["a", "s"],
    ["b", "s"],
    ["c", "s"],
    ["d", "t"],
    ["e", null],
  ]);
  it("is 1 for threads that are exactly the stories", () => {
    const threads = [
      { id: "a", thread: ["b", "c"] },
      { id: "b", thread: ["a", "c"] },
      { id: "c", thread: ["a", "b"] },
      { id: "d", thread: [] },
      { id: "e", thread: [] },
    ];
    expect(bCubed(threads, stories)).toMatchObject({ precision: 1, recall: 1, f1: 1 });
  });
  it("counts a missing story-mate against recall and a stranger against precision", () => {
    const score = bCubed([{ id: "a", thread: ["b", "d"] }], stories);
    expect(score.precision).toBeCloseTo(2 / 3);
    expect(score.recall).toBeCloseTo(2 / 3);
  });
});
