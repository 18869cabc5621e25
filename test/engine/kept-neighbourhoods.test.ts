import { rmSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, inject, it } from "vitest";
import { defaultModelId } from "../../src/config/config.ts";
import { defaults } from "../../src/config/defaults.ts";
import { noFilters } from "../../src/core/related/related-filters.ts";
import { mulberry32 } from "../../src/core/seeded-random.ts";
import { modelReadsLanguage } from "../../src/embed/model-languages.ts";
import { documentIndexFileName } from "../../src/engine/document-index-file.ts";
import type { DenseSearch } from "../../src/engine/find-related-articles.ts";
import { KindredEngine } from "../../src/engine/kindred-engine.ts";
import { openEngine } from "../../src/engine/open-engine.ts";
import { searchCandidates } from "../../src/engine/search-candidates.ts";
import { silentLogger } from "../../src/log/logger.ts";
import { SqliteArticleStore } from "../../src/store/sqlite-article-store.ts";
import { hegsethId } from "../support/demo-slice.ts";
import { CountingEmbedder, openTestEngine, testConfig } from "../support/open-test-engine.ts";
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

  it("takes a report re-texted to another story, or deleted, out of the lists that named it", async () => {
    const dataDir = copyDataDir(inject("demoIndexDir"));
    const embedder = await CountingEmbedder.start();
    const opened = await openTestEngine(dataDir, embedder);
    try {
      const { engine } = opened;
      const query = engine.getArticle(hegsethId)!;
      const report = (id: string, title: string, body: string) => ({ ...query, id, url: `https://other.example/${id}`, title, body });
      await engine.writeArticles([
        report(
          "second-report",
          "Pentagon chief halts US offensive cyber operations against Russia",
          "Defense Secretary Pete Hegseth told US Cyber Command to stand down from planning offensive cyber operations and information operations against Russia, officials said, as the administration pressed Moscow to negotiate over Ukraine.",
        ),
        report(
          "third-report",
          "Hegseth orders Cyber Command to pause operations against Russia",
          "US Cyber Command was ordered by Defense Secretary Pete Hegseth to pause its offensive cyber operations against Russia while talks over the war in Ukraine go on, according to officials.",
        ),
      ]);
      const listed = (id: string) => engine.keptNeighbours(id)!.map((neighbour) => neighbour.id);
      expect(listed(hegsethId)).toEqual(expect.arrayContaining(["second-report", "third-report"]));

      // Rewritten as another story: the lists of its old neighbours, made from what it was, name it no more.
      await engine.writeArticles([
        report(
          "second-report",
          "Measles cases in Texas rise as the outbreak spreads to new counties",
          "Health officials in Texas reported more measles cases as the outbreak spread to further counties, with dozens of children in hospital and vaccination clinics opening across the region.",
        ),
      ]);
      expect(listed(hegsethId)).not.toContain("second-report");
      expect(listed("third-report")).not.toContain("second-report");
      expect(listed("second-report")).not.toContain(hegsethId);
      const lengthBefore = listed(hegsethId).length;

      // Deleted: the same, the other members kept as they were.
      const others = listed(hegsethId).filter((id) => id !== "third-report");
      expect(others).toHaveLength(lengthBefore - 1);
      expect(await engine.deleteArticle("third-report")).toBe(true);
      expect(listed(hegsethId)).toEqual(others);
    } finally {
      await opened.close();
      await embedder.close();
    }
  });

  it("keeps a list for every article, naming only stored ones, through a random run of writes, re-texts, metadata changes and deletions", async () => {
    const dataDir = copyDataDir(inject("demoIndexDir"));
    const embedder = await CountingEmbedder.start();
    let opened = await openTestEngine(dataDir, embedder);
    const random = mulberry32(12);
    const pick = <T>(items: readonly T[]) => items[Math.floor(random() * items.length)]!;
    const checkLists = () => {
      for (const id of opened.engine.listIds()) {
        const list = opened.engine.keptNeighbours(id);
        expect(list, id).not.toBeNull();
        expect(
          list!.map((neighbour) => neighbour.id),
          id,
        ).not.toContain(null);
      }
    };
    try {
      let written = 0;
      for (let round = 0; round < 8; round++) {
        const ids = opened.engine.listIds();
        // A few operations a round, applied together as one batch of writes and one of deletions.
        const writes = new Map<string, ReturnType<typeof opened.engine.getArticle> & object>();
        const deletions = new Set<string>();
        for (let operation = 0; operation < 4; operation++) {
          const source = opened.engine.getArticle(pick(ids))!;
          const kind = pick(["new", "re-text", "metadata", "delete"] as const);
          if (kind === "new") writes.set(`random-${written}`, { ...source, id: `random-${written++}`, url: `https://other.example/random-${written}` });
          else if (kind === "re-text") {
            const target = opened.engine.getArticle(pick(ids))!;
            writes.set(target.id, { ...target, title: source.title, body: source.body });
          } else if (kind === "metadata") writes.set(source.id, { ...source, topics: [...source.topics, "updated"] });
          else deletions.add(source.id);
        }
        for (const id of deletions) writes.delete(id);
        await opened.engine.writeArticles([...writes.values()]);
        await opened.engine.deleteArticles([...deletions]);
        checkLists();
      }
      // The lists a restart reads back are the ones kept.
      const before = new Map(opened.engine.listIds().map((id) => [id, opened.engine.keptNeighbours(id)]));
      await opened.close();
      opened = await openTestEngine(dataDir, embedder);
      expect(opened.engine.keptListsPending()).toBe(0);
      for (const [id, list] of before) expect(opened.engine.keptNeighbours(id), id).toEqual(list);
    } finally {
      await opened.close();
      await embedder.close();
    }
  });

  it("makes the lists a saved document index lacks in the background, once the index has opened", async () => {
    const dataDir = copyDataDir(inject("demoIndexDir"));
    // Without the file the document index is rebuilt from the store, with no kept list.
    rmSync(join(dataDir, documentIndexFileName));
    let opened = await openEngine(testConfig({ dataDir }), silentLogger());
    try {
      const { engine } = opened;
      // Open, and answering, before any list is made.
      expect(engine.keptListsPending()).toBe(engine.size());
      expect(engine.findRelatedToArticle(hegsethId, { k: 10, filters: noFilters }, { cache: false }).results).toHaveLength(10);
      await engine.settled();
      expect(engine.keptListsPending()).toBe(0);
      expect(Math.max(...neighbourParts(engine, hegsethId).values())).toBeGreaterThan(2);
    } finally {
      await opened.close();
    }
    // The next start reads them from the file it saved: none left to make.
    opened = await openEngine(testConfig({ dataDir }), silentLogger());
    try {
      expect(opened.engine.keptListsPending()).toBe(0);
    } finally {
      await opened.close();
    }
  });

  it("ranks kept lists with the engine's dense search where it holds no graph (pgvector mode), not a scan of every vector", async () => {
    const dataDir = copyDataDir(inject("demoIndexDir"));
    rmSync(join(dataDir, documentIndexFileName));
    // The in-memory planner stands in for PostgreSQL (test/replicas/pgvector-mode.test.ts runs the real one): what matters here is who is asked.
    let searches = 0;
    const denseSearch: DenseSearch = async (indexes, search) => {
      searches++;
      return searchCandidates(indexes, search);
    };
    const engine = new KindredEngine(SqliteArticleStore.open(dataDir), () => Promise.reject(new Error("no model needed")), {
      dataDir,
      modelId: defaultModelId,
      dimensions: 512,
      hnsw: { m: defaults.hnswM, efConstruction: 200, efSearch: 128 },
      logger: silentLogger(),
      denseSearch,
      recallCheck: { queries: 0, k: 10, floor: 0, onOpen: false },
    });
    try {
      await engine.settled();
      // One search per list (a list's feedback round rescores the same pool), for every article the model reads (the others rank by words).
      const read = engine.listIds().filter((id) => modelReadsLanguage(defaultModelId, engine.getEntry(id)!.lang));
      expect(read.length).toBeGreaterThan(200);
      expect(searches).toBe(read.length);
      expect(engine.keptListsPending()).toBe(0);
      expect(Math.max(...neighbourParts(engine, hegsethId).values())).toBeGreaterThan(2);
    } finally {
      engine.close();
    }
  });
});
