import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, inject, it } from "vitest";
import { resolveHnswM } from "../../src/config/config.ts";
import { defaults } from "../../src/config/defaults.ts";
import { noFilters } from "../../src/core/related/related-filters.ts";
import type { KindredEngine } from "../../src/engine/kindred-engine.ts";
import { openEngine } from "../../src/engine/open-engine.ts";
import { manifestFileName } from "../../src/vectors/graph-files.ts";
import { hegsethId } from "../support/demo-slice.ts";
import { recordingLogger } from "../support/http-client.ts";
import { openTestEngine, testConfig } from "../support/open-test-engine.ts";
import { kindred } from "../support/run-kindred.ts";
import { copyDataDir } from "../support/temp-dir.ts";

/**
 * A new graph gets 24 links per node (M), while a data directory whose graph was built with
 * another M (16, the default before) keeps it: an unset `hnswM` means "the M of the saved graph",
 * so changing the default never rebuilds anyone's graph on start; a set `hnswM` rebuilds it.
 */
describe("the graph's M when hnswM is not configured", () => {
  const savedM = (dataDir: string) => JSON.parse(readFileSync(join(dataDir, manifestFileName), "utf8")).hnsw.m as number;
  const relatedIds = (engine: KindredEngine) => engine.findRelatedToArticle(hegsethId, { k: 10, filters: noFilters }).results.map((result) => result.entry.id);

  /** A copy of the demo index whose graph was built with M 16, as every data directory before the default changed. */
  const builtWithM16 = async () => {
    const dataDir = copyDataDir(inject("demoIndexDir"));
    const built = await openTestEngine(dataDir, undefined, { hnswM: 16 });
    expect(built.engine.graphSource).toBe("rebuilt");
    const ids = relatedIds(built.engine);
    await built.close();
    expect(savedM(dataDir)).toBe(16);
    return { dataDir, ids };
  };

  it("resolves an unset hnswM to the saved graph's M, and a new graph's to 24", () => {
    expect(defaults.hnswM).toBe(24);
    expect(resolveHnswM({ hnswM: undefined }, 16)).toBe(16);
    expect(resolveHnswM({ hnswM: undefined }, undefined)).toBe(24);
    expect(resolveHnswM({ hnswM: 32 }, 16)).toBe(32);
  });

  it("builds a new data directory's graph with M 24", async () => {
    // The shared demo index was built by the test setup with nothing configured.
    const dataDir = copyDataDir(inject("demoIndexDir"));
    expect(savedM(dataDir)).toBe(24);
    const { engine, close } = await openTestEngine(dataDir);
    try {
      expect(engine.graphSource).toBe("loaded");
      expect(engine.graphStats().m).toBe(24);
    } finally {
      await close();
    }
  });

  it("opens a graph built with M 16 as it is, reports its M, says a new graph gets 24, and keeps 16 through a compaction", async () => {
    const { dataDir, ids } = await builtWithM16();
    const { logger, lines } = recordingLogger();
    const { engine, close } = await openEngine(testConfig({ dataDir }), logger);
    try {
      expect(engine.graphSource).toBe("loaded");
      expect(engine.graphStats().m).toBe(16);
      expect(relatedIds(engine)).toEqual(ids);
      const notice = lines.map((line) => JSON.parse(line)).find((entry) => entry.newGraphM !== undefined);
      expect(notice).toMatchObject({ m: 16, newGraphM: 24 });
      expect(notice.msg).toContain("Set hnswM");
      // A background rebuild (compaction, or the recall floor's) is not the explicit one: it keeps the graph's M.
      expect(await engine.compactGraph()).not.toBeNull();
      expect(engine.graphStats().m).toBe(16);
    } finally {
      await close();
    }
    expect(savedM(dataDir)).toBe(16);
  });

  it("rebuilds the graph with a configured hnswM, which it then keeps without the setting", async () => {
    // 32: neither the default now nor the one before.
    const dataDir = copyDataDir(inject("demoIndexDir"));
    const rebuilt = await openTestEngine(dataDir, undefined, { hnswM: 32 });
    expect(rebuilt.engine.graphSource).toBe("rebuilt");
    expect(rebuilt.engine.graphStats().m).toBe(32);
    await rebuilt.close();
    expect(savedM(dataDir)).toBe(32);

    const reopened = await openTestEngine(dataDir);
    try {
      expect(reopened.engine.graphSource).toBe("loaded");
      expect(reopened.engine.graphStats().m).toBe(32);
    } finally {
      await reopened.close();
    }
  });

  it("kindred check says the graph's M and how to change it", async () => {
    const { dataDir } = await builtWithM16();
    const checked = await kindred(["check", "--data-dir", dataDir, "--queries", "20"]);
    expect(checked.code, checked.stderr).toBe(0);
    expect(checked.stdout).toContain("graph M 16, kept from when it was built (a new graph gets 24; set hnswM to rebuild this one");
    const json = await kindred(["check", "--data-dir", dataDir, "--queries", "20", "--json"]);
    expect(JSON.parse(json.stdout)).toMatchObject({ graph: "loaded", m: 16 });
  });
});
