import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { isStopStem, stopWords } from "../../src/core/related/query-terms.ts";
import { SqliteArticleStore } from "../../src/store/sqlite-article-store.ts";

describe("stop words as the store stems them", () => {
  it("recognises the stem the full-text index keeps for every stop word, and no content word's", () => {
    const dir = mkdtempSync(join(tmpdir(), "kindred-stop-stems-"));
    const store = SqliteArticleStore.open(dir);
    try {
      const stemsOf = (word: string) => store.analyzeText("", word).terms.map((term) => term.stem);
      expect([...stopWords].flatMap(stemsOf).filter((stem) => !isStopStem(stem))).toEqual([]);
      for (const word of ["hegseth", "cyber", "operations", "russia", "earthquake", "washington"]) expect(stemsOf(word).some(isStopStem), word).toBe(false);
    } finally {
      store.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
