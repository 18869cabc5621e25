import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { defaultModelId } from "../../src/config/config.ts";
import type { Article } from "../../src/core/article.ts";
import { inlinePrepareMaxChars } from "../../src/engine/article-writes.ts";
import { KindredEngine } from "../../src/engine/kindred-engine.ts";
import { InlineStoreWriter, type PreparedArticle, type StoreWriter } from "../../src/engine/store-writer.ts";
import { silentLogger } from "../../src/log/logger.ts";
import { SqliteArticleStore } from "../../src/store/sqlite-article-store.ts";
import { CountingEmbedder } from "../support/open-test-engine.ts";
import { copyDataDir } from "../support/temp-dir.ts";

const article = (id: string, body: string): Article => ({
  id,
  title: `Harbour council ${id}`,
  body,
  url: null,
  topics: [],
  publishedAt: null,
  publishedMs: null,
  lang: "en",
  source: null,
});

/** A store writer whose thread is busy: `prepare` answers only once the test releases it (as behind another write's transaction). */
class BusyStoreWriter extends InlineStoreWriter {
  prepareCalls = 0;
  #release: () => void = () => {};
  readonly #released = new Promise<void>((resolve) => (this.#release = resolve));

  override async prepare(modelId: string, articles: readonly Article[]): Promise<PreparedArticle[]> {
    this.prepareCalls++;
    await this.#released;
    return super.prepare(modelId, articles);
  }

  release(): void {
    this.#release();
  }
}

const within = <T>(ms: number, work: Promise<T>) =>
  Promise.race([work, new Promise<"still waiting">((resolve) => setTimeout(() => resolve("still waiting"), ms))]);

describe("what a write waits for", () => {
  let embedder: CountingEmbedder;
  beforeAll(async () => {
    embedder = await CountingEmbedder.start();
  });
  afterAll(async () => {
    await embedder.close();
  });

  /** An engine on a copy of the demo slice, writing through the writer `makeWriter` gives over its store. */
  const openWith = <W extends StoreWriter>(makeWriter: (store: SqliteArticleStore) => W) => {
    const dataDir = copyDataDir(inject("demoIndexDir"));
    const store = SqliteArticleStore.open(dataDir);
    const writer = makeWriter(store);
    const engine = new KindredEngine(store, () => Promise.resolve(embedder), {
      dataDir,
      modelId: defaultModelId,
      dimensions: 512,
      hnsw: { m: 16, efConstruction: 200, efSearch: 128 },
      logger: silentLogger(),
      writer,
      recallCheck: { queries: 0, k: 10, floor: 0 },
    });
    return { engine, writer };
  };

  it("prepares a short article on the calling thread, not behind the store writer's thread", async () => {
    const { engine, writer } = openWith((store) => new BusyStoreWriter(store));
    try {
      const written = engine.writeArticles([article("short-1", "The council approved the ferry budget after a long debate.")]);
      // Generous for a loaded 2-core machine: the model embeds one sentence; before, the write waited for the busy thread forever.
      const outcome = await within(20_000, written);
      expect(outcome).not.toBe("still waiting");
      expect(writer.prepareCalls).toBe(0);
      expect(engine.getEntry("short-1")?.id).toBe("short-1");
    } finally {
      writer.release();
      engine.close();
    }
  });

  it("still hands a long article's hashing and passages to the store writer's thread", async () => {
    const { engine, writer } = openWith((store) => new BusyStoreWriter(store));
    try {
      const sentence = "The council approved the ferry budget after a long debate about tolls and moorings. ";
      const body = sentence.repeat(Math.ceil(inlinePrepareMaxChars / sentence.length) + 1);
      const written = engine.writeArticles([article("long-1", body)]);
      expect(await within(200, written)).toBe("still waiting");
      expect(writer.prepareCalls).toBe(1);
      writer.release();
      expect((await written)[0]!.status).toBe("created");
    } finally {
      writer.release();
      engine.close();
    }
  });
});
