import { describe, expect, inject, it } from "vitest";
import { noFilters } from "../../src/core/related/related-filters.ts";
import { hegsethId } from "../support/demo-slice.ts";
import { CountingEmbedder, openTestEngine } from "../support/open-test-engine.ts";
import { copyDataDir } from "../support/temp-dir.ts";

/** Each result's shared-neighbour part in the explained list of `id`. */
function neighbourParts(engine: Awaited<ReturnType<typeof openTestEngine>>["engine"], id: string): Map<string, number> {
  const { results } = engine.findRelatedToArticle(id, { k: 10, filters: noFilters, ranking: { explain: true } }, { cache: false });
  return new Map(results.map((result) => [result.entry.id, result.explanation!.parts.neighbours]));
}

describe("kept neighbourhoods", () => {
  it("keeps a written report's list, takes it into the lists of the reports it lists, and reads them back after a restart", async () => {
    const dataDir = copyDataDir(inject("demoIndexDir"));
    const embedder = await CountingEmbedder.start();
    try {
      let opened = await openTestEngine(dataDir, embedder);
      const query = opened.engine.getArticle(hegsethId)!;
      // A second report of the Hegseth item's event, in other words.
      await opened.engine.writeArticles([
        {
          ...query,
          id: "second-report",
          url: "https://other.example/second-report",
          title: "Pentagon chief halts US offensive cyber operations against Russia",
          body: "Defense Secretary Pete Hegseth told US Cyber Command to stand down from planning offensive cyber operations and information operations against Russia, officials said, as the administration pressed Moscow to negotiate over Ukraine.",
        },
      ]);
      const before = neighbourParts(opened.engine, hegsethId);
      // The new report is in the Hegseth item's list, with a part: its kept list is the query's first candidates.
      expect(before.get("second-report")).toBeGreaterThan(2);
      // From the other side: the new report's own list holds the Hegseth item.
      expect(neighbourParts(opened.engine, "second-report").get(hegsethId)).toBeGreaterThan(2);
      await opened.close();

      // A restart reads the lists from the saved document index: the same parts, to the last digit.
      opened = await openTestEngine(dataDir, embedder);
      expect([...neighbourParts(opened.engine, hegsethId)]).toEqual([...before]);

      // A deleted report leaves the lists that named it: it counts no more in anyone's neighbourhood.
      expect(await opened.engine.deleteArticle("second-report")).toBe(true);
      const after = neighbourParts(opened.engine, hegsethId);
      expect(after.has("second-report")).toBe(false);
      await opened.close();
    } finally {
      await embedder.close();
    }
  });
});
