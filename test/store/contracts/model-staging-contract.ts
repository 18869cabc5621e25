import { describe, expect, it } from "vitest";
import type { ArticleStore } from "../../../src/store/article-store.ts";
import { article, write } from "./contract-fixtures.ts";
import type { StoreImplementation } from "./store-implementations.ts";

/**
 * The contract of the ModelStaging port (`kindred reindex`). A store that cannot stage yet (the
 * PostgreSQL replica store) must refuse every call with an error that says so: `supported: false`.
 */
export function describeModelStagingContract(implementation: StoreImplementation, supported: boolean): void {
  const withStore = (test: (store: ArticleStore) => Promise<void>) => async () => {
    const store = await implementation.open();
    try {
      await store.setModelPin({ modelId: "old/model", dimensions: 3 });
      await test(store);
    } finally {
      await implementation.close(store);
    }
  };
  const staged = (store: ArticleStore, id: string, vector: number[]) => {
    const stored = store.findById(id)!;
    return { label: stored.label, sourceEmbedHash: stored.embedHash, embedHash: `new:${id}`, vector: new Float32Array(vector) };
  };

  describe(`ModelStaging contract: ${implementation.name}`, () => {
    if (!supported) {
      it(
        "refuses staging with an error that names the command",
        withStore(async (store) => {
          expect(() => store.listUnstaged("new/model")).toThrow(/reindex/);
          expect(() => store.stageVectors("new/model", [])).toThrow(/reindex/);
          expect(() => store.switchModel("old/model", { modelId: "new/model", dimensions: 3 })).toThrow(/reindex/);
        }),
      );
      return;
    }

    it(
      "switches once every article is staged, moving the staged vectors in",
      withStore(async (store) => {
        await store.writeArticles([write(article("a")), write(article("b"))], "old/model");
        expect(store.listUnstaged("new/model").unstaged).toHaveLength(2);
        store.stageVectors("new/model", [staged(store, "a", [0, 1, 0]), staged(store, "b", [0, 0, 1])]);
        expect(store.listUnstaged("new/model")).toEqual({ unstaged: [], orphaned: [] });
        expect([...store.listStagedVectors("new/model")]).toHaveLength(2);
        expect(store.switchModel("old/model", { modelId: "new/model", dimensions: 3 })).toMatchObject({ switched: true });
        expect(store.getModelPin()).toEqual({ modelId: "new/model", dimensions: 3 });
        expect([...store.getVector(store.findById("a")!.label)!]).toEqual([0, 1, 0]);
        expect(store.findById("b")!.embedHash).toBe("new:b");
      }),
    );

    it(
      "refuses to switch while an article changed after it was staged",
      withStore(async (store) => {
        await store.writeArticles([write(article("a"))], "old/model");
        store.stageVectors("new/model", [staged(store, "a", [0, 1, 0])]);
        await store.writeArticles([write(article("a", { body: "Edited meanwhile" }))], "old/model");
        expect(store.listUnstaged("new/model").unstaged).toEqual([store.findById("a")!.label]);
        expect(store.switchModel("old/model", { modelId: "new/model", dimensions: 3 })).toMatchObject({ switched: false, reason: "stale" });
        expect(store.getModelPin()!.modelId).toBe("old/model");
        expect(store.discardStagedVectors("new/model")).toBe(1);
      }),
    );
  });
}
