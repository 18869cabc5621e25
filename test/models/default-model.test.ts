import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { defaultModelId, resolveModelId } from "../../src/config/config.ts";
import { noFilters } from "../../src/core/related/related-filters.ts";
import { USE_LITE_INT8_MODEL_ID, USE_LITE_MODEL_ID } from "../../src/embed/use-lite/use-lite-constants.ts";
import { WorkerPoolEmbedder } from "../../src/embed/worker-pool-embedder.ts";
import type { KindredEngine } from "../../src/engine/kindred-engine.ts";
import { indexFiles } from "../../src/indexer/index-files.ts";
import { manifestFileName } from "../../src/vectors/graph-files.ts";
import { hegsethId, pentagonDenialId, readDemoSlice } from "../support/demo-slice.ts";
import { CountingEmbedder, openTestEngine } from "../support/open-test-engine.ts";
import { kindred } from "../support/run-kindred.ts";
import { useTempDir } from "../support/temp-dir.ts";

/**
 * The bundled model's int8 graph is the default for new indexes, while an index built with the
 * float graph (the default before) keeps it: an unset `model` means "the model the index pins",
 * so changing the default never refuses a user's index nor re-embeds it; an explicit model wins.
 */
describe("the model of a data directory when none is configured", () => {
  const root = useTempDir("kindred-default-model-");
  const feed = join(root, "slice.jsonl");
  const floatDir = join(root, "float-index");
  let articles = 0;
  let float: CountingEmbedder;
  const relatedIds = (engine: KindredEngine) => engine.findRelatedToArticle(hegsethId, { k: 5, filters: noFilters }).results.map((result) => result.entry.id);

  beforeAll(async () => {
    const items = await readDemoSlice("2025-03-01", "2025-03-05");
    articles = items.length;
    writeFileSync(feed, `${items.map((item) => JSON.stringify(item)).join("\n")}\n`);
    float = new CountingEmbedder(await WorkerPoolEmbedder.start({ modelId: USE_LITE_MODEL_ID, modelsDir: "models" }, 1));
  });
  afterAll(async () => {
    await float.close();
  });

  it("resolves an unset model to the index's pin, and a new index's to the int8 graph", () => {
    expect(defaultModelId).toBe(USE_LITE_INT8_MODEL_ID);
    expect(resolveModelId({ model: undefined }, USE_LITE_MODEL_ID)).toBe(USE_LITE_MODEL_ID);
    expect(resolveModelId({ model: undefined }, undefined)).toBe(USE_LITE_INT8_MODEL_ID);
    expect(resolveModelId({ model: USE_LITE_MODEL_ID }, undefined)).toBe(USE_LITE_MODEL_ID);
    expect(resolveModelId({ model: USE_LITE_INT8_MODEL_ID }, USE_LITE_MODEL_ID)).toBe(USE_LITE_INT8_MODEL_ID);
  });

  it("pins the int8 graph in a new index and its graph's manifest", async () => {
    const dataDir = join(root, "new-index");
    const int8 = await CountingEmbedder.start();
    const { engine, store, close } = await openTestEngine(dataDir, int8);
    try {
      expect(int8.modelId).toBe(USE_LITE_INT8_MODEL_ID);
      expect(engine.modelId).toBe(USE_LITE_INT8_MODEL_ID);
      expect(store.getModelPin()).toEqual({ modelId: USE_LITE_INT8_MODEL_ID, dimensions: 512 });
      const report = await indexFiles(engine, [feed]);
      expect(report.indexed).toBe(articles);
      // The given embedder is used only when it runs the pinned model: every article went through it.
      expect(int8.embeddedTexts).toBeGreaterThanOrEqual(articles);
      expect(relatedIds(engine)[0]).toBe(pentagonDenialId);
    } finally {
      await close();
      await int8.close();
    }
    expect(JSON.parse(readFileSync(join(dataDir, manifestFileName), "utf8")).model_id).toBe(USE_LITE_INT8_MODEL_ID);
  });

  it("opens an index pinned to the float graph with the float graph, re-embedding nothing, and embeds new writes with it", async () => {
    const built = await openTestEngine(floatDir, float, { model: USE_LITE_MODEL_ID });
    expect((await indexFiles(built.engine, [feed])).indexed).toBe(articles);
    const listBefore = relatedIds(built.engine);
    await built.close();
    const embeddedWhenBuilt = float.embeddedTexts;
    expect(embeddedWhenBuilt).toBeGreaterThanOrEqual(articles);

    const reopened = await openTestEngine(floatDir, float);
    try {
      expect(reopened.engine.modelId).toBe(USE_LITE_MODEL_ID);
      expect(reopened.store.getModelPin()).toEqual({ modelId: USE_LITE_MODEL_ID, dimensions: 512 });
      expect(reopened.engine.graphSource).toBe("loaded");
      expect(relatedIds(reopened.engine)).toEqual(listBefore);
      expect((await indexFiles(reopened.engine, [feed])).unchanged).toBe(articles);
      expect(float.embeddedTexts).toBe(embeddedWhenBuilt);

      await reopened.engine.writeArticles([
        { id: "float-late", title: "Pentagon reviews cyber operations against Russia", body: "", url: null, topics: ["cyber"], publishedAt: null, publishedMs: null, lang: "en", source: null },
      ]);
      expect(float.embeddedTexts).toBeGreaterThan(embeddedWhenBuilt);
      expect(reopened.store.getModelPin()?.modelId).toBe(USE_LITE_MODEL_ID);
    } finally {
      await reopened.close();
    }
    expect(JSON.parse(readFileSync(join(floatDir, manifestFileName), "utf8")).model_id).toBe(USE_LITE_MODEL_ID);
  });

  it("kindred index with no model counts the float index's articles unchanged; an explicit model still wins and is refused", async () => {
    const again = await kindred(["index", feed, "--data-dir", floatDir]);
    expect(again.code, again.stderr).toBe(0);
    expect(again.stdout).toMatch(new RegExp(`indexed 0, updated 0, unchanged ${articles}, failed 0`));

    const explicit = await kindred(["related", hegsethId, "--data-dir", floatDir, "--model", USE_LITE_INT8_MODEL_ID]);
    expect(explicit.code).toBe(1);
    expect(explicit.stderr).toContain(`holds vectors of model "${USE_LITE_MODEL_ID}", but kindred is configured for "${USE_LITE_INT8_MODEL_ID}"`);
  });

  it("gives a new index an explicitly configured model rather than the default", async () => {
    const { engine, store, close } = await openTestEngine(join(root, "explicit-index"), float, { model: USE_LITE_MODEL_ID });
    try {
      expect(engine.modelId).toBe(USE_LITE_MODEL_ID);
      expect(store.getModelPin()?.modelId).toBe(USE_LITE_MODEL_ID);
    } finally {
      await close();
    }
  });
});
