import { spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { createTransformersEmbedder } from "../../src/embed/transformers/transformers-embedder.ts";
import { embedPassageGroups, prepareEmbedInput } from "../../src/engine/embed-articles.ts";
import { SqliteArticleStore } from "../../src/store/sqlite-article-store.ts";
import { manifestFileName } from "../../src/vectors/graph-files.ts";
import { fixtureModelsDir, modelsDirWithFixture, tinyBertModelId } from "../support/fixture-models.ts";
import { startKindredServer, type KindredServer } from "../support/kindred-server.ts";
import { kindredBin } from "../support/run-kindred.ts";
import { copyDataDir } from "../support/temp-dir.ts";
import { defaultModelId } from "../../src/config/config.ts";

/**
 * The model switch as an operator runs it: a real `kindred serve` on the demo slice (bundled
 * model) takes reads and writes over HTTP from three clients without pause while `kindred
 * reindex --model` runs in another process, first killed with SIGKILL half-way, then to the end.
 * No request may fail; the service must answer from the old model until the switch and from the
 * tiny BERT fixture after it, without a restart; and afterwards every stored article, including
 * those written during the switch, must hold the new model's vector of its current text.
 */
const writerKey = "model-switch-writer-key-0123456789";

interface Exchange {
  method: string;
  path: string;
  status: number | "network error";
  model?: string;
  startedMs: number;
  endedMs: number;
}

interface DemoItem {
  id: string;
  title: string;
  text: string;
}

describe("switching models under live HTTP traffic", () => {
  const dataDir = copyDataDir(inject("demoIndexDir"));
  const modelsDir = modelsDirWithFixture();
  const items = readFileSync(inject("demoSlicePath"), "utf8").trim().split("\n").map((line) => JSON.parse(line) as DemoItem);
  const env = { KINDRED_MODELS_DIR: modelsDir, KINDRED_API_KEYS: `switch-test:write:${writerKey}`, KINDRED_EMBED_WORKERS: "1", KINDRED_GRAPH_SAVE_INTERVAL_MS: "250" };
  const exchanges: Exchange[] = [];
  const written = new Map<string, string>(); // acknowledged PUTs: id -> title
  const deleted = new Set<string>();
  let server: KindredServer;
  let stopped = false;
  let traffic: Promise<unknown>;

  const call = async (method: string, path: string, body?: unknown) => {
    const exchange: Exchange = { method, path, status: "network error", startedMs: Date.now(), endedMs: 0 };
    exchanges.push(exchange);
    try {
      const response = await fetch(`${server.baseUrl}${path}`, {
        method,
        headers: { authorization: `Bearer ${writerKey}`, ...(body === undefined ? {} : { "content-type": "application/json" }) },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
      const text = await response.text();
      exchange.status = response.status;
      const parsed = text === "" ? null : (JSON.parse(text) as Record<string, any>);
      if (typeof parsed?.["model"] === "string") exchange.model = parsed["model"];
      return { status: response.status, body: parsed };
    } catch {
      return { status: 0, body: null }; // recorded as a network error, and failed below
    } finally {
      exchange.endedMs = Date.now();
    }
  };

  /** Readers (related by id, by text) and a writer (PUT, PATCH, DELETE), until stopped. */
  const runTraffic = () => {
    const reader = async (offset: number) => {
      for (let n = offset; !stopped; n += 2) {
        const item = items[(n * 7) % items.length]!;
        await call("GET", `/v1/articles/${encodeURIComponent(item.id)}/related?k=5`);
        if (n % 3 === 0) await call("POST", "/v1/related", { text: item.title, k: 5 });
      }
    };
    const writer = async () => {
      for (let n = 0; !stopped; n++) {
        const base = items[(n * 13) % items.length]!;
        const id = `live-${n}`;
        const title = `Update ${n}: ${base.title}`;
        // wait=true: answered once indexed, so the checks after the switch read every acknowledged write.
        if ((await call("PUT", `/v1/articles/${id}?wait=true`, { title, text: base.text, topics: ["live"] })).status === 201) written.set(id, title);
        if (n % 4 === 3) await call("PATCH", `/v1/articles/live-${n - 1}`, { topics: ["live", "patched"] });
        if (n % 5 === 4 && (await call("DELETE", `/v1/articles/live-${n - 2}?wait=true`)).status === 204) deleted.add(`live-${n - 2}`);
      }
    };
    return Promise.all([reader(0), reader(1), writer()]);
  };

  const runReindex = (killOnFirstBatch: boolean) =>
    new Promise<{ code: number | null; signal: string | null; stdout: string; stderr: string; startedMs: number; endedMs: number }>((resolve) => {
      const startedMs = Date.now();
      const child = spawn("node", [kindredBin, "reindex", "--model", tinyBertModelId, "--data-dir", dataDir, "--batch-size", "4", "--log-level", killOnFirstBatch ? "debug" : "warn"], {
        env: { ...process.env, ...env },
        stdio: ["ignore", "pipe", "pipe"],
      });
      let stdout = "";
      let stderr = "";
      child.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString()));
      child.stderr.on("data", (chunk: Buffer) => {
        stderr += chunk.toString();
        if (killOnFirstBatch && stderr.includes('"msg":"staged a batch"')) child.kill("SIGKILL");
      });
      child.once("exit", (code, signal) => resolve({ code, signal, stdout, stderr, startedMs, endedMs: Date.now() }));
    });

  const readPin = () => {
    const store = SqliteArticleStore.open(dataDir);
    try {
      return { pin: store.getModelPin(), staged: [...store.listStagedVectors(tinyBertModelId)].length };
    } finally {
      store.close();
    }
  };

  beforeAll(async () => {
    server = await startKindredServer(dataDir, env);
    traffic = runTraffic();
    // Let the first writes start the bundled model's worker before anything else happens.
    while (written.size < 3) await new Promise((resolve) => setTimeout(resolve, 50));
  });
  afterAll(() => {
    stopped = true;
    server?.child.kill("SIGKILL");
  });

  it("keeps serving the old model, whole, when the reindex is killed half-way", async () => {
    const killed = await runReindex(true);
    expect(killed.signal, killed.stderr).toBe("SIGKILL");
    const { pin, staged } = readPin();
    expect(pin).toEqual({ modelId: defaultModelId, dimensions: 512 });
    expect(staged).toBeGreaterThan(0);
    expect(JSON.parse(readFileSync(join(dataDir, manifestFileName), "utf8")).model_id).toBe(defaultModelId);
    // Writes go on being acknowledged after the kill. Each is answered once indexed (wait=true),
    // so on a loaded machine one can take seconds: wait for the next, within a bound.
    const writesBefore = written.size;
    const deadline = Date.now() + 30_000;
    while (written.size <= writesBefore && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 100));
    expect(written.size, "a write acknowledged within 30 s of the killed reindex").toBeGreaterThan(writesBefore);
    expect((await call("GET", "/readyz")).body!["model"]).toBe(defaultModelId);
  });

  it("switches to the new model with no request lost, and every article ends with the new model's vector", async () => {
    const run = await runReindex(false);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toMatch(new RegExp(`switched .* from ${defaultModelId} to ${tinyBertModelId} \\(32 dimensions\\): \\d+ articles, \\d+ embedded .*, [1-9]\\d* reused from an interrupted run`));
    // The server follows within a second of its store poll, without a restart.
    const deadline = Date.now() + 15_000;
    while ((await call("GET", "/readyz")).body!["model"] !== tinyBertModelId) {
      expect(Date.now(), server.stderr()).toBeLessThan(deadline);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    stopped = true;
    await traffic;

    const failed = exchanges.filter((exchange) => exchange.status === "network error" || exchange.status >= 500 || (exchange.method !== "DELETE" && exchange.status >= 400));
    expect(failed, server.stderr()).toEqual([]);
    const during = exchanges.filter((exchange) => exchange.method === "PUT" && exchange.endedMs > run.startedMs && exchange.startedMs < run.endedMs);
    expect(during.length, "writes acknowledged while the reindex ran").toBeGreaterThan(0);
    const models = new Set(exchanges.map((exchange) => exchange.model).filter((model) => model !== undefined));
    expect(models).toEqual(new Set([defaultModelId, tinyBertModelId]));

    for (const [id, title] of written) {
      const { status, body } = await call("GET", `/v1/articles/${id}`);
      expect(status, id).toBe(deleted.has(id) ? 404 : 200);
      if (status === 200) expect(body!["title"]).toBe(title);
    }
    server.child.kill("SIGTERM");
    await server.exited;

    const store = SqliteArticleStore.open(dataDir);
    const embedder = await createTransformersEmbedder({ modelsDir: fixtureModelsDir, modelId: tinyBertModelId });
    try {
      expect(store.getModelPin()).toEqual({ modelId: tinyBertModelId, dimensions: 32 });
      const articles = [...store.listArticles()];
      expect(articles.length).toBe(items.length + written.size - deleted.size);
      const inputs = articles.map((article) => prepareEmbedInput(tinyBertModelId, article));
      const expected = await embedPassageGroups(embedder, inputs.map((input) => input.passages), "passage");
      articles.forEach((article, index) => {
        expect(article.embedHash, `${article.id} holds the new model's hash of its text`).toBe(inputs[index]!.embedHash);
        const vector = store.getVector(article.label)!;
        expect(vector.length).toBe(32);
        expect(Math.max(...vector.map((value, i) => Math.abs(value - expected[index]![i]!))), `${article.id} holds the new model's vector`).toBeLessThan(1e-4);
      });
    } finally {
      store.close();
    }
  });
});
