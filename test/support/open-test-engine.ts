import type { Hono } from "hono";
import { afterAll, beforeAll, inject } from "vitest";
import { digestApiKey } from "../../src/config/api-keys.ts";
import { type ConfigInput, defaultModelId, loadConfig } from "../../src/config/config.ts";
import type { Embedder, EmbedRole } from "../../src/embed/embedder.ts";
import { WorkerPoolEmbedder } from "../../src/embed/worker-pool-embedder.ts";
import type { KindredEngine } from "../../src/engine/kindred-engine.ts";
import { type OpenedEngine, openEngine } from "../../src/engine/open-engine.ts";
import { createApp } from "../../src/http/app.ts";
import { silentLogger } from "../../src/log/logger.ts";
import { requestJson, waitingForIndexes } from "./http-client.ts";
import { copyDataDir } from "./temp-dir.ts";

/** Configuration for tests: no environment, no config file. */
export function testConfig(flags: Partial<ConfigInput>) {
  return loadConfig({ flags, env: {} });
}

/** The real model (the default for a new index, as the demo slice's) in one worker, counting the texts it embeds (to prove what is not re-embedded). */
export class CountingEmbedder implements Embedder {
  embeddedTexts = 0;
  /** While set, every embedding waits for it before the model runs (`holdModel`). */
  #held: Promise<void> | null = null;
  constructor(private readonly inner: Embedder) {}
  /** Holds the model busy: embeddings wait until the returned function is called, then run on the real model. */
  holdModel(): () => void {
    let release: () => void = () => {};
    this.#held = new Promise((resolve) => (release = resolve));
    return () => {
      this.#held = null;
      release();
    };
  }
  get modelId() {
    return this.inner.modelId;
  }
  get dimensions() {
    return this.inner.dimensions;
  }
  async embed(texts: readonly string[], role?: EmbedRole) {
    if (this.#held !== null) await this.#held;
    this.embeddedTexts += texts.length;
    return this.inner.embed(texts, role);
  }
  close() {
    return this.inner.close();
  }
  static async start(modelId: string = defaultModelId): Promise<CountingEmbedder> {
    return new CountingEmbedder(await WorkerPoolEmbedder.start({ modelId, modelsDir: "models" }, 1));
  }
}

/** Opens an engine on a data directory with the given embedder, once its kept lists are all made (`KindredEngine.settled`). */
export async function openTestEngine(dataDir: string, embedder?: Embedder, flags: Partial<ConfigInput> = {}) {
  const opened = await openEngine(testConfig({ dataDir, ...flags }), silentLogger(), embedder === undefined ? {} : { embedder });
  await opened.engine.settled();
  return opened;
}

/** Opens a private copy of the demo-slice index that the global setup built. */
export function openDemoSliceCopy(embedder?: Embedder, flags: Partial<ConfigInput> = {}) {
  return openTestEngine(copyDataDir(inject("demoIndexDir")), embedder, flags);
}

/** The HTTP app over a ready engine, with small request bounds and, if given, one key that may write. */
export function createTestApp(engine: KindredEngine, writerKey?: string): Hono {
  return createApp(
    { engine, phase: "ready" },
    {
      maxRequestBytes: 10_000,
      maxQueryTextChars: 2_000,
      logger: silentLogger(),
      ...(writerKey === undefined ? {} : { apiKeys: [{ name: "cms", scopes: ["write"], sha256: digestApiKey(writerKey) }] }),
    },
  );
}

/**
 * A private demo-slice copy opened with the counting embedder before the enclosing describe's
 * tests and closed after them; read `opened` and `embedder` inside the tests.
 */
export function useDemoSliceEngine(): { readonly opened: OpenedEngine; readonly embedder: CountingEmbedder } {
  const fixture = {} as { opened: OpenedEngine; embedder: CountingEmbedder };
  beforeAll(async () => {
    fixture.embedder = await CountingEmbedder.start();
    fixture.opened = await openDemoSliceCopy(fixture.embedder);
  });
  afterAll(async () => {
    await fixture.opened.close();
    await fixture.embedder.close();
  });
  return fixture;
}

/**
 * A private demo-slice copy (one embedding worker) and the HTTP app over it with one key that
 * may write, for the enclosing describe; `write` sends a JSON request with that key and
 * `wait=true`, so the write is in the lists when it answers (what these tests read back).
 */
export function useDemoSliceApp(writerKey: string): {
  readonly opened: OpenedEngine;
  readonly app: Hono;
  write: (method: string, path: string, body?: unknown) => ReturnType<typeof requestJson>;
} {
  const fixture = {
    write: (method: string, path: string, body?: unknown) =>
      requestJson(fixture.app, method, waitingForIndexes(path), { ...(body === undefined ? {} : { body }), headers: { authorization: `Bearer ${writerKey}` } }),
  } as { opened: OpenedEngine; app: Hono; write: (method: string, path: string, body?: unknown) => ReturnType<typeof requestJson> };
  beforeAll(async () => {
    fixture.opened = await openDemoSliceCopy(undefined, { embedWorkers: 1 });
    fixture.app = createTestApp(fixture.opened.engine, writerKey);
  });
  afterAll(() => fixture.opened.close());
  return fixture;
}
