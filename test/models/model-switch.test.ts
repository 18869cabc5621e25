import { defaults } from "../../src/config/defaults.ts";
import { cpSync, existsSync, mkdirSync, readFileSync, renameSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

import type { Article } from "../../src/core/article.ts";
import { noFilters } from "../../src/core/related/related-filters.ts";
import type { EmbedRole, Embedder } from "../../src/embed/embedder.ts";
import { WorkerPoolEmbedder } from "../../src/embed/worker-pool-embedder.ts";
import { embedPassageGroups, prepareEmbedInput } from "../../src/engine/embed-articles.ts";
import { openEngine, type OpenedEngine } from "../../src/engine/open-engine.ts";
import { reindexModel } from "../../src/engine/reindex-model.ts";
import { silentLogger } from "../../src/log/logger.ts";
import { SqliteArticleStore } from "../../src/store/sqlite-article-store.ts";
import { manifestFileName, nextGraphDir } from "../../src/vectors/graph-files.ts";
import { fixtureModelsDir, tinyBertModelId } from "../support/fixture-models.ts";
import { testConfig } from "../support/open-test-engine.ts";
import { useTempDir } from "../support/temp-dir.ts";

/**
 * Switching models with `reindexModel` while an engine on the old model keeps writing, with the
 * interleavings that matter forced by gates in the embedders: writes during the re-embedding, a
 * write embedded with the old model that reaches the store after the switch, a crash half-way,
 * and a crash between the switch and putting the new graph in place.
 *
 * Two small models stand in for old and new: the tiny BERT fixture (mean pooling) and a copy of
 * it told to pool [CLS] (another model as far as kindred can tell: other vectors, other id).
 */
const modelA = tinyBertModelId;
const modelB = "kindred-test/tiny-bert-cls";
// The configuration's M, so that the engines these tests open afterwards take the reindexed graph
// as theirs (a graph of another M is rebuilt on open).
const hnsw = { m: defaults.hnswM, efConstruction: 100, efSearch: 64 };

const topics = ["economy", "sport", "weather", "health"];
const titles: Record<string, string[]> = {
  economy: ["Central bank raises interest rates", "Stock markets fall as investors fear recession", "Inflation slows as prices ease", "Tax reform lifts company profits"],
  sport: ["Home side wins the cup final on penalties", "Striker scores twice in the semifinal", "Tennis champion wins the tournament", "Olympic athletes win medals"],
  weather: ["Storm floods coastal towns", "Heatwave brings record temperatures", "Hurricane forces coastal evacuation", "Snow and ice close roads"],
  health: ["Hospital opens a new cancer clinic", "Vaccine trial begins for flu", "Doctors warn of measles outbreak", "Nurses treat patients after the virus spreads"],
};
const article = (id: string, title: string, body = ""): Article => ({ id, title, body, url: null, topics: [], publishedAt: "2025-03-07", publishedMs: Date.UTC(2025, 2, 7), lang: "en", source: null });
const corpus = topics.flatMap((topic) => titles[topic]!.flatMap((title, index) => [article(`${topic}-${index}`, title), article(`${topic}-${index}-b`, `${title} again`, `More on this: ${title.toLowerCase()}.`)]));

/** An embedder that, when asked to, stops before answering until released. */
class GatedEmbedder implements Embedder {
  calls = 0;
  #gate: { when: (texts: readonly string[]) => boolean; reached: () => void; release: Promise<void> } | null = null;
  constructor(private readonly inner: Embedder) {}
  get modelId() {
    return this.inner.modelId;
  }
  get dimensions() {
    return this.inner.dimensions;
  }
  /** The next call matching `when` waits; resolves when it is waiting, with the function that lets it go on. */
  holdNext(when: (texts: readonly string[]) => boolean = () => true): Promise<() => void> {
    let release!: () => void;
    const released = new Promise<void>((resolve) => (release = resolve));
    return new Promise((reached) => (this.#gate = { when, reached: () => reached(release), release: released }));
  }
  async embed(texts: readonly string[], role?: EmbedRole) {
    this.calls++;
    const gate = this.#gate;
    if (gate !== null && gate.when(texts)) {
      this.#gate = null;
      gate.reached();
      await gate.release;
    }
    return this.inner.embed(texts, role);
  }
  close() {
    return Promise.resolve();
  }
}

/** Fails on its `failAt`-th call, as a crash half-way would stop the run. */
class FailingEmbedder extends GatedEmbedder {
  constructor(inner: Embedder, private readonly failAt: number) {
    super(inner);
  }
  override async embed(texts: readonly string[], role?: EmbedRole) {
    if (this.calls + 1 >= this.failAt) throw new Error("simulated crash");
    return super.embed(texts, role);
  }
}

describe("the store's model switch", () => {
  it("switches only when every article has a vector staged from its current text, and then refuses the old model's writes", () => {
    const store = SqliteArticleStore.open(join(useTempDir(), "index"));
    const write = (item: Article, hash: string) => ({ article: item, textHash: `t-${item.id}`, embedHash: hash, vector: new Float32Array([1, 0]) });
    store.setModelPin({ modelId: "old/model", dimensions: 2 });
    const [first, second] = store.writeArticles([write(article("a", "A"), "old-a"), write(article("b", "B"), "old-b")], "old/model");
    const staged = (label: number, source: string) => ({ label, sourceEmbedHash: source, embedHash: `new-${source}`, vector: new Float32Array([0, 1, 0]) });
    store.stageVectors("new/model", [staged(first!.label, "old-a"), staged(second!.label, "old-b")]);
    store.writeArticles([write(article("b", "B edited"), "old-b2")], "old/model");
    const to = { modelId: "new/model", dimensions: 3 };
    expect(store.switchModel("old/model", to)).toEqual({ switched: false, reason: "stale", stale: 1 });
    expect(store.listUnstaged("new/model")).toEqual({ unstaged: [second!.label], orphaned: [] });
    store.stageVectors("new/model", [staged(second!.label, "old-b2")]);
    expect(store.switchModel("other/model", to)).toMatchObject({ switched: false, reason: "pin_changed" });
    expect(store.switchModel("old/model", to)).toMatchObject({ switched: true });
    expect(store.getModelPin()).toEqual(to);
    expect(store.findById("b")!.embedHash).toBe("new-old-b2");
    expect([...store.getVector(first!.label)!]).toEqual([0, 1, 0]);
    expect([...store.listStagedVectors("new/model")]).toEqual([]);
    expect(() => store.writeArticles([write(article("c", "C"), "old-c")], "old/model")).toThrow(/switched from model "old\/model" to "new\/model"/);
    expect(store.findById("c")).toBeNull();
    store.close();
  });
});

describe("switching models under writes", () => {
  let modelsDir: string;
  let poolA: Embedder;
  let poolB: Embedder;
  beforeAll(async () => {
    modelsDir = join(useTempDir("kindred-models-"), "models");
    mkdirSync(join(modelsDir, "kindred-test"), { recursive: true });
    symlinkSync(join(fixtureModelsDir, modelA), join(modelsDir, modelA));
    cpSync(join(fixtureModelsDir, modelA), join(modelsDir, modelB), { recursive: true });
    writeFileSync(join(modelsDir, modelB, "kindred.json"), JSON.stringify({ pooling: "cls" }));
    [poolA, poolB] = await Promise.all([WorkerPoolEmbedder.start({ modelId: modelA, modelsDir }, 1), WorkerPoolEmbedder.start({ modelId: modelB, modelsDir }, 1)]);
  });
  afterAll(async () => {
    await poolA.close();
    await poolB.close();
  });

  /** A fresh data directory indexed with model A, and an engine on it whose A embedder can be held. */
  async function openIndexedWithA(): Promise<{ dataDir: string; opened: OpenedEngine; embedderA: GatedEmbedder }> {
    const dataDir = join(useTempDir("kindred-switch-"), "index");
    const embedderA = new GatedEmbedder(poolA);
    const opened = await openEngine(testConfig({ dataDir, model: modelA, modelsDir, embedWorkers: 1 }), silentLogger(), { embedder: embedderA });
    await opened.engine.writeArticles(corpus);
    return { dataDir, opened, embedderA };
  }

  /** Every stored article's vector and hash are model B's, for its current text. */
  async function expectAllOfModelB(dataDir: string): Promise<number> {
    const store = SqliteArticleStore.open(dataDir);
    try {
      expect(store.getModelPin()).toEqual({ modelId: modelB, dimensions: 32 });
      const articles = [...store.listArticles()];
      const inputs = articles.map((stored) => prepareEmbedInput(modelB, stored));
      const expected = await embedPassageGroups(poolB, inputs.map((input) => input.passages), "passage");
      articles.forEach((stored, index) => {
        expect(stored.embedHash, stored.id).toBe(inputs[index]!.embedHash);
        const vector = store.getVector(stored.label)!;
        expect(Math.max(...vector.map((value, i) => Math.abs(value - expected[index]![i]!))), stored.id).toBeLessThan(1e-5);
      });
      expect([...store.listStagedVectors(modelB)]).toEqual([]);
      return articles.length;
    } finally {
      store.close();
    }
  }

  it("catches up with adds, edits and deletes made while it re-embeds, and the engine follows the switch", async () => {
    const { dataDir, opened, embedderA } = await openIndexedWithA();
    const embedderB = new GatedEmbedder(poolB);
    const held = embedderB.holdNext();
    const reindex = reindexModel({ store: SqliteArticleStore.open(dataDir), dataDir, hnsw, embedder: embedderB, logger: silentLogger(), batchSize: 8 });
    const release = await held;
    // While the first batch (economy-*) is being embedded with B, the service writes with A:
    // an article of that batch edited, another deleted, a new one added.
    await opened.engine.writeArticles([article("added-during", "Typhoon hits the coast with heavy rain"), article("economy-0", "Central bank cuts interest rates after all")]);
    await opened.engine.deleteArticles(["economy-1-b"]);
    expect(opened.engine.modelId).toBe(modelA);
    release();
    const report = await reindex;
    expect(report).toMatchObject({ from: modelA, to: modelB, dimensions: 32, articles: corpus.length, reused: 0 }); // one added, one deleted
    expect(report.caughtUp).toBeGreaterThanOrEqual(2);
    expect(report.rounds).toBeGreaterThanOrEqual(3);
    expect(existsSync(nextGraphDir(dataDir))).toBe(false);
    expect(JSON.parse(readFileSync(join(dataDir, manifestFileName), "utf8")).model_id).toBe(modelB);

    // Until it syncs, the engine answers from model A's graph; then from B's, without a restart.
    const before = opened.engine.findRelatedToArticle("economy-0", { k: 3, filters: noFilters }).results.map((result) => result.cosine);
    await opened.engine.syncFromStore();
    expect(opened.engine.modelId).toBe(modelB);
    const after = opened.engine.findRelatedToArticle("economy-0", { k: 3, filters: noFilters }).results.map((result) => result.cosine);
    expect(after).not.toEqual(before);
    expect(opened.engine.findRelatedToArticle("economy-1", { k: 40, filters: noFilters }).results.map((result) => result.entry.id)).not.toContain("economy-1-b");
    expect(() => opened.engine.findRelatedToArticle("economy-1-b", { k: 3, filters: noFilters })).toThrow(/No article/);
    expect(embedderA.calls).toBeGreaterThan(0);
    await opened.close();
    await expectAllOfModelB(dataDir);
  });

  it("embeds again with the new model a write that was embedded with the old one just before the switch", async () => {
    const { dataDir, opened, embedderA } = await openIndexedWithA();
    const held = embedderA.holdNext((texts) => texts.some((text) => text.includes("Parliament")));
    const write = opened.engine.writeArticles([article("late-write", "Parliament votes on the budget")]);
    const release = await held; // embedded with A, not yet stored
    const report = await reindexModel({ store: SqliteArticleStore.open(dataDir), dataDir, hnsw, embedder: poolB, logger: silentLogger() });
    expect(report.to).toBe(modelB);
    release();
    const [outcome] = await write; // the store refused A's vector; the engine followed the switch and embedded with B
    expect(outcome).toMatchObject({ id: "late-write", status: "created" });
    expect(opened.engine.modelId).toBe(modelB);
    // A metadata change and a text query go through the engine's new model too.
    expect(await opened.engine.updateArticleMetadata("economy-1", (current) => ({ ...current, topics: ["markets"] }))).toMatchObject({ status: "updated" });
    const text = await opened.engine.findRelatedToText({ text: "Parliament budget vote" }, { k: 3, filters: noFilters });
    expect(text.results).toHaveLength(3);
    await opened.close();
    expect(await expectAllOfModelB(dataDir)).toBe(corpus.length + 1);
  });

  it("leaves the index on the old model, whole and usable, when it stops half-way; the next run resumes", async () => {
    const { dataDir, opened } = await openIndexedWithA();
    await opened.close();
    const manifestBefore = readFileSync(join(dataDir, manifestFileName), "utf8");
    const store = SqliteArticleStore.open(dataDir);
    await expect(reindexModel({ store, dataDir, hnsw, embedder: new FailingEmbedder(poolB, 3), logger: silentLogger(), batchSize: 8 })).rejects.toThrow(/simulated crash/);
    expect(store.getModelPin()).toEqual({ modelId: modelA, dimensions: 32 });
    store.close();
    expect(readFileSync(join(dataDir, manifestFileName), "utf8")).toBe(manifestBefore);

    const reopened = await openEngine(testConfig({ dataDir, model: modelA, modelsDir, embedWorkers: 1 }), silentLogger(), { embedder: poolA });
    expect(reopened.engine.graphSource).toBe("loaded");
    expect(reopened.engine.findRelatedToArticle("sport-1", { k: 1, filters: noFilters }).results).toHaveLength(1);
    await reopened.close();

    const counting = new GatedEmbedder(poolB);
    const resumed = await reindexModel({ store: SqliteArticleStore.open(dataDir), dataDir, hnsw, embedder: counting, logger: silentLogger(), batchSize: 8 });
    expect(resumed.reused).toBe(16); // the two batches staged before the crash
    expect(resumed.embedded).toBe(corpus.length - 16);
    await expectAllOfModelB(dataDir);
  });

  it("refuses to open with the old model after the switch, naming both and the command", async () => {
    const { dataDir, opened } = await openIndexedWithA();
    await opened.close();
    await reindexModel({ store: SqliteArticleStore.open(dataDir), dataDir, hnsw, embedder: poolB, logger: silentLogger() });
    await expect(openEngine(testConfig({ dataDir, model: modelA, modelsDir }), silentLogger())).rejects.toThrow(
      `holds vectors of model "${modelB}", but kindred is configured for "${modelA}". Start with --model ${modelB} (or KINDRED_MODEL=${modelB}), or re-embed with \`kindred reindex --model ${modelA}\``,
    );
  });

  it("loads the graph built beside the old one when a crash came between the switch and putting it in place", async () => {
    const { dataDir, opened } = await openIndexedWithA();
    await opened.close();
    const oldGraph = join(useTempDir(), "old-graph");
    cpSync(dataDir, oldGraph, { recursive: true, filter: (path) => !path.includes("kindred.sqlite") });
    await reindexModel({ store: SqliteArticleStore.open(dataDir), dataDir, hnsw, embedder: poolB, logger: silentLogger() });
    // Recreate the state after such a crash: B's graph beside, A's still in place.
    mkdirSync(nextGraphDir(dataDir));
    const manifestB = JSON.parse(readFileSync(join(dataDir, manifestFileName), "utf8"));
    renameSync(join(dataDir, manifestB.graph_file), join(nextGraphDir(dataDir), manifestB.graph_file));
    renameSync(join(dataDir, manifestFileName), join(nextGraphDir(dataDir), manifestFileName));
    for (const name of ["graph.manifest.json", JSON.parse(readFileSync(join(oldGraph, manifestFileName), "utf8")).graph_file]) cpSync(join(oldGraph, name), join(dataDir, name));

    const reopened = await openEngine(testConfig({ dataDir, model: modelB, modelsDir }), silentLogger(), { embedder: poolB });
    expect(reopened.engine.graphSource).toBe("loaded");
    expect(reopened.engine.findRelatedToArticle("weather-0", { k: 3, filters: noFilters }).results).toHaveLength(3);
    expect(JSON.parse(readFileSync(join(dataDir, manifestFileName), "utf8")).model_id).toBe(modelB);
    expect(existsSync(nextGraphDir(dataDir))).toBe(false);
    await reopened.close();
    rmSync(oldGraph, { recursive: true, force: true });
  });
});
