import { join } from "node:path";
import Database from "better-sqlite3";
import { describe, expect, it } from "vitest";
import type { Article } from "../../src/core/article.ts";
import { SqliteArticleStore } from "../../src/store/sqlite-article-store.ts";
import { useTempDir } from "../support/temp-dir.ts";

const article = (id: string, title: string, body: string, topics: string[] = []): Article => ({
  id,
  title,
  body,
  url: null,
  topics,
  publishedAt: null,
  publishedMs: null,
  lang: "en",
  source: null,
});
const write = (item: Article) => ({
  article: item,
  textHash: `t-${item.id}-${item.body.length}`,
  embedHash: `e-${item.id}-${item.body.length}`,
  vector: new Float32Array([1, 0]),
});

describe("the store's lexical channel", () => {
  it("profiles each text once, with stems, surface words and names, and leaves it alone on a metadata change", () => {
    const store = SqliteArticleStore.open(join(useTempDir(), "index"));
    store.writeArticles([write(article("a", "Hegseth halts cyber operations", "The order from Pete Hegseth covered Cyber Command."))]);
    const label = store.findById("a")!.label;
    const profile = store.getLexicalProfile(label)!;
    const hegseth = profile.terms.find((term) => term.stem === "hegseth")!;
    expect(hegseth).toMatchObject({ titleCount: 1, bodyCount: 1, capitalised: true });
    expect(profile.terms.find((term) => term.stem === "oper")).toMatchObject({ surface: "operations" });
    const version = store.lexicalVersion();
    store.writeArticles([{ ...write(article("a", "Hegseth halts cyber operations", "The order from Pete Hegseth covered Cyber Command.", ["defence"])) }]);
    expect(store.lexicalVersion()).toBe(version);
    store.close();
  });

  it("adds a lexical index to a version 1 database when it opens one", () => {
    const dataDir = join(useTempDir(), "index");
    const store = SqliteArticleStore.open(dataDir);
    store.writeArticles([write(article("a", "Quorblat strike", "Quorblat miners walked out.")), write(article("b", "Cake", "Lemon drizzle."))]);
    store.close();
    const db = new Database(join(dataDir, "kindred.sqlite"));
    db.exec("DROP TABLE articles_fts; DROP TABLE article_lexicon; DROP TABLE term_counts; UPDATE meta SET value = '1' WHERE key = 'schema_version'");
    db.close();
    const reopened = SqliteArticleStore.open(dataDir);
    expect(reopened.searchLexical(["quorblat"], 10).map((hit) => hit.label)).toEqual([reopened.findById("a")!.label]);
    expect(reopened.getTermStatistics(["quorblat"])).toMatchObject({ articles: 2 });
    expect(reopened.findById("a")!.words).toBe(6);
    reopened.close();
  });
});
