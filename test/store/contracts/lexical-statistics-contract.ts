import { describe, expect, it } from "vitest";
import type { ArticleLog, LexicalStatistics } from "../../../src/store/article-store.ts";
import { article, write } from "./contract-fixtures.ts";
import type { StoreImplementation } from "./store-implementations.ts";

/** The contract of the LexicalStatistics port: what BM25 ranking reads, kept with the text. */
export function describeLexicalStatisticsContract(implementation: StoreImplementation): void {
  const withStore = (test: (store: ArticleLog & LexicalStatistics) => Promise<void>) => async () => {
    const store = await implementation.open();
    try {
      await test(store);
    } finally {
      await implementation.close(store);
    }
  };

  describe(`LexicalStatistics contract: ${implementation.name}`, () => {
    it(
      "profiles stored texts, counts documents per stem and ranks by BM25",
      withStore(async (store) => {
        await store.writeArticles([
          write(article("a", { title: "Quorblat miners strike", body: "Quorblat miners walked out over pay." })),
          write(article("b", { title: "Lemon cake", body: "A lemon drizzle cake recipe." })),
          write(article("c", { title: "Strike ends", body: "The miners returned." })),
        ]);
        const labelA = store.findById("a")!.label;
        expect(store.getLexicalProfile(labelA)!.terms.find((term) => term.stem === "quorblat")).toMatchObject({ titleCount: 1, bodyCount: 1 });
        expect(store.getTermStatistics(["quorblat", "miner"])).toMatchObject({ articles: 3 });
        expect(store.searchLexical(["quorblat"], 10).map((hit) => hit.label)).toEqual([labelA]);
        expect(
          store
            .searchLexical(["miners"], 10)
            .map((hit) => hit.label)
            .sort(),
        ).toEqual([labelA, store.findById("c")!.label].sort());
        expect(store.analyzeText("Quorblat", "").terms.map((term) => term.stem)).toContain("quorblat");
      }),
    );

    it(
      "moves the version on a text change or delete, not on a metadata change",
      withStore(async (store) => {
        await store.writeArticles([write(article("a", { title: "Quorblat strike" }))]);
        const label = store.findById("a")!.label;
        const version = store.lexicalVersion();
        await store.writeArticles([write(article("a", { title: "Quorblat strike", topics: ["labour"] }), null)]);
        expect(store.lexicalVersion()).toBe(version);
        await store.writeArticles([write(article("a", { title: "Zyxt strike" }))]);
        expect(store.lexicalVersion()).not.toBe(version);
        expect(store.searchLexical(["quorblat"], 10)).toEqual([]);
        const edited = store.lexicalVersion();
        await store.deleteArticles(["a"]);
        expect(store.lexicalVersion()).not.toBe(edited);
        expect(store.getLexicalProfile(label)).toBeNull();
      }),
    );
  });
}
