import { existsSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { defaultModelId } from "../../src/config/config.ts";
import { noFilters } from "../../src/core/related/related-filters.ts";
import { indexFiles } from "../../src/indexer/index-files.ts";
import { manifestFileName } from "../../src/vectors/graph-files.ts";
import { hegsethId, pentagonDenialId } from "../support/demo-slice.ts";
import { CountingEmbedder, openTestEngine } from "../support/open-test-engine.ts";
import { copyDataDir } from "../support/temp-dir.ts";

describe("store and graph across restarts", () => {
  let embedder: CountingEmbedder;
  const dataDir = copyDataDir(inject("demoIndexDir"));
  beforeAll(async () => {
    embedder = await CountingEmbedder.start();
  });
  afterAll(() => embedder.close());

  const topIds = async () => {
    const { engine, close } = await openTestEngine(dataDir, embedder);
    const ids = engine.findRelatedToArticle(hegsethId, { k: 10, filters: noFilters }).results.map((result) => result.entry.id);
    const source = engine.graphSource;
    await close();
    return { ids, source };
  };

  it("answers the same after a restart, loading the saved graph", async () => {
    const first = await topIds();
    const second = await topIds();
    expect(second.source).toBe("loaded");
    expect(second.ids).toEqual(first.ids);
    expect(first.ids[0]).toBe(pentagonDenialId);
  });

  it("rebuilds a missing graph from stored vectors without re-embedding", async () => {
    const before = await topIds();
    for (const name of readdirSync(dataDir)) if (name.startsWith("graph")) rmSync(join(dataDir, name));
    const after = await topIds();
    expect(after.source).toBe("rebuilt");
    expect(after.ids).toEqual(before.ids);
    expect(embedder.embeddedTexts).toBe(0);
    expect(existsSync(join(dataDir, manifestFileName))).toBe(true);
  });

  it("rebuilds a truncated graph file instead of trusting it", async () => {
    const manifest = JSON.parse(readFileSync(join(dataDir, manifestFileName), "utf8"));
    writeFileSync(join(dataDir, manifest.graph_file), "not a graph");
    expect((await topIds()).source).toBe("rebuilt");
    expect(embedder.embeddedTexts).toBe(0);
  });

  it("re-indexing the same file re-embeds nothing", async () => {
    const { engine, close } = await openTestEngine(dataDir, embedder);
    const report = await indexFiles(engine, [inject("demoSlicePath")]);
    await close();
    expect(report).toMatchObject({ indexed: 0, updated: 0, failed: 0 });
    expect(report.unchanged).toBeGreaterThan(200);
    expect(embedder.embeddedTexts).toBe(0);
  });

  it("replays writes committed after the last graph save", async () => {
    const crashed = await openTestEngine(dataDir, embedder);
    const [article] = await crashed.engine.writeArticles([
      {
        id: "late-1",
        title: "Pentagon confirms pause of cyber operations against Russia",
        body: "",
        url: null,
        topics: ["cyber"],
        publishedAt: "2025-03-06",
        publishedMs: Date.UTC(2025, 2, 6),
        lang: "en",
        source: null,
      },
    ]);
    expect(article?.status).toBe("created");
    // The first process "crashes": it never saves its graph. A new one opens the same directory.
    const reopened = await openTestEngine(dataDir, embedder);
    expect(reopened.engine.graphSource).toBe("replayed");
    const ids = reopened.engine.findRelatedToArticle(hegsethId, { k: 10, filters: noFilters }).results.map((result) => result.entry.id);
    expect(ids).toContain("late-1");
    await reopened.close();
    crashed.store.close();
  });

  it("saves the graph off the event loop (the periodic save of kindred serve), and a restart loads it with nothing to replay", async () => {
    const running = await openTestEngine(dataDir, embedder);
    const late = { title: "Pentagon orders review of cyber command posture", body: "", url: null, topics: ["cyber"], publishedAt: null, publishedMs: null };
    await running.engine.writeArticles([{ id: "late-2", ...late, lang: "en", source: null }]);
    const manifestSeq = () => JSON.parse(readFileSync(join(dataDir, manifestFileName), "utf8")).seq as number;
    const before = manifestSeq();
    const saving = running.engine.saveGraphInBackground();
    // A synchronous save would have committed by now; this one commits once hnswlib's thread is done.
    expect(manifestSeq()).toBe(before);
    expect(running.engine.findRelatedToArticle(hegsethId, { k: 5, filters: noFilters }).results.length).toBe(5);
    await saving;
    expect(manifestSeq()).toBeGreaterThan(before);
    expect(readdirSync(dataDir).filter((name) => name.endsWith(".tmp"))).toEqual([]);

    // Crash (no close): the next process loads the saved graph as is.
    const reopened = await openTestEngine(dataDir, embedder);
    expect(reopened.engine.graphSource).toBe("loaded");
    expect(reopened.engine.getArticle("late-2")).not.toBeNull();

    // Closed while a background save runs: close saves by itself, and the background one commits nothing after it.
    await reopened.engine.writeArticles([{ id: "late-3", ...late, title: "Cyber command review widened", lang: "en", source: null }]);
    const racing = reopened.engine.saveGraphInBackground();
    await reopened.close();
    const closedSeq = manifestSeq();
    await racing;
    expect(manifestSeq()).toBe(closedSeq);
    expect(readdirSync(dataDir).filter((name) => name.endsWith(".tmp"))).toEqual([]);
    running.store.close();
  });

  it("refuses to open an index built with another model, naming both and what to run", async () => {
    await expect(openTestEngine(dataDir, undefined, { model: "Xenova/all-MiniLM-L6-v2" })).rejects.toThrow(
      new RegExp(`holds vectors of model "${defaultModelId}", but kindred is configured for "Xenova/all-MiniLM-L6-v2".*kindred reindex --model`),
    );
  });

  it("rebuilds a graph of another model (an interrupted model switch leaves one) from the stored vectors, which are the truth", async () => {
    const path = join(dataDir, manifestFileName);
    const manifest = JSON.parse(readFileSync(path, "utf8"));
    writeFileSync(path, JSON.stringify({ ...manifest, model_id: "other/model" }));
    const embeddedBefore = embedder.embeddedTexts;
    const { source, ids } = await topIds();
    expect(source).toBe("rebuilt");
    expect(ids[0]).toBe(pentagonDenialId);
    expect(JSON.parse(readFileSync(path, "utf8")).model_id).toBe(defaultModelId);
    expect(embedder.embeddedTexts).toBe(embeddedBefore);
  });
});
