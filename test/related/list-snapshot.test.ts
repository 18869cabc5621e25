import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import type { RankingMode } from "../../src/core/related/ranking-options.ts";
import { noFilters } from "../../src/core/related/related-filters.ts";
import { useDemoSliceEngine } from "../support/open-test-engine.ts";

/**
 * Speed work on the query path (issue 14) must not change a single list: 50 lists on the demo
 * slice (40 hybrid, 5 dense, 5 lexical) are compared with a snapshot the code before that work
 * computed. A ranking change that is meant to change lists regenerates it on purpose:
 *
 *   KINDRED_WRITE_LIST_SNAPSHOT=1 npx vitest run test/related/list-snapshot.test.ts
 */
const snapshotPath = new URL("../fixtures/related-list-snapshot.json", import.meta.url).pathname;

interface SnapshotList {
  id: string;
  mode: RankingMode;
  foldedCopies: number;
  results: { id: string; score: number; cosine: number }[];
}

describe("related lists against the snapshot", () => {
  const slice = useDemoSliceEngine();

  const computeLists = (): SnapshotList[] => {
    const { engine } = slice.opened;
    const ids = engine.listIds().sort().slice(0, 50);
    return ids.map((id, index) => {
      const mode: RankingMode = index < 40 ? "hybrid" : index < 45 ? "dense" : "lexical";
      const answer = engine.findRelatedToArticle(id, { k: 10, filters: noFilters, ranking: { mode } }, { cache: false });
      return {
        id,
        mode,
        foldedCopies: answer.foldedCopies,
        results: answer.results.map((result) => ({ id: result.entry.id, score: result.score, cosine: result.cosine })),
      };
    });
  };

  it("computes the same 50 lists, ids in the same order and scores within float tolerance", () => {
    const lists = computeLists();
    if (process.env.KINDRED_WRITE_LIST_SNAPSHOT === "1" || !existsSync(snapshotPath)) {
      expect(process.env.KINDRED_WRITE_LIST_SNAPSHOT, `no snapshot at ${snapshotPath}; write one with KINDRED_WRITE_LIST_SNAPSHOT=1`).toBe("1");
      writeFileSync(snapshotPath, `${JSON.stringify(lists, null, 2)}\n`);
    }
    const expected = JSON.parse(readFileSync(snapshotPath, "utf8")) as SnapshotList[];
    expect(lists.map((list) => [list.id, list.mode])).toEqual(expected.map((list) => [list.id, list.mode]));
    expect(lists.every((list) => list.results.length === 10)).toBe(true);
    for (const [index, list] of lists.entries()) {
      const want = expected[index]!;
      expect(
        list.results.map((result) => result.id),
        `${list.mode} list of ${list.id}`,
      ).toEqual(want.results.map((result) => result.id));
      expect(list.foldedCopies, `folded copies of ${list.id}`).toBe(want.foldedCopies);
      for (const [rank, result] of list.results.entries()) {
        expect(result.score, `score ${rank} of ${list.id}`).toBeCloseTo(want.results[rank]!.score, 6);
        expect(result.cosine, `cosine ${rank} of ${list.id}`).toBeCloseTo(want.results[rank]!.cosine, 6);
      }
    }
  });
});
