import { join } from "node:path";
import Database from "better-sqlite3";
import { describe, expect, it } from "vitest";
import type { Article } from "../../src/core/article.ts";
import { leadTokens } from "../../src/core/related/lexical-profile.ts";
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

  it("counts each stem's occurrences in the body's lead, and counts them in a profile stored before lead counts when it opens", () => {
    const dataDir = join(useTempDir(), "index");
    const store = SqliteArticleStore.open(dataDir);
    // "quorblat" once in the lead and once past it; "zandor" only past the lead.
    const filler = Array.from({ length: leadTokens }, (_, i) => `word${i}`).join(" ");
    store.writeArticles([write(article("a", "Strike", `Quorblat miners stopped. ${filler} Quorblat and Zandor met.`))]);
    const label = store.findById("a")!.label;
    const counted = store.getLexicalProfile(label)!;
    expect(counted.terms.find((term) => term.stem === "quorblat")).toMatchObject({ bodyCount: 2, leadCount: 1 });
    expect(counted.terms.find((term) => term.stem === "zandor")).toMatchObject({ bodyCount: 1, leadCount: 0 });
    store.close();
    // Rewrite the stored profile as an older kindred wrote it: no lead counts, no marker.
    const db = new Database(join(dataDir, "kindred.sqlite"));
    const [tokens, rows] = JSON.parse(db.prepare<[number], { profile: string }>("SELECT profile FROM article_lexicon WHERE label = ?").get(label)!.profile);
    const old = JSON.stringify([tokens, rows.map((row: unknown[]) => row.slice(0, 5))]);
    db.prepare("UPDATE article_lexicon SET profile = ? WHERE label = ?").run(old, label);
    db.prepare("DELETE FROM meta WHERE key = 'lexicon_lead_tokens'").run();
    db.close();
    const reopened = SqliteArticleStore.open(dataDir);
    expect(reopened.getLexicalProfile(label)!.terms).toEqual(counted.terms);
    expect(reopened.getTermStatistics(["quorblat"])).toMatchObject({ articles: 1 });
    reopened.close();
  });
  it("counts the stems of a batch stored in one transaction as it counts them one article at a time, and a refused batch counts nothing", () => {
    const items = [
      article("a", "Harbour strike", "Dock workers walked out at the harbour."),
      article("b", "Harbour reopens", "The harbour reopened after the strike."),
      article("c", "Lemon cake", "A lemon drizzle cake."),
    ];
    const together = SqliteArticleStore.open(join(useTempDir(), "together"));
    const oneByOne = SqliteArticleStore.open(join(useTempDir(), "one-by-one"));
    together.writeArticles(items.map(write));
    for (const item of items) oneByOne.writeArticles([write(item)]);
    // "b" again with another text: its old stems counted out, the new ones in, within one batch.
    const rewritten = article("b", "Harbour reopens", "Ferries sail from the reopened harbour.");
    together.writeArticles([write(rewritten), write(article("d", "Ferries", "Ferries sail again."))]);
    oneByOne.writeArticles([write(rewritten)]);
    oneByOne.writeArticles([write(article("d", "Ferries", "Ferries sail again."))]);
    const stems = ["harbour", "strike", "dock", "lemon", "ferri", "sail", "reopen", "cake"];
    const counts = (store: SqliteArticleStore) => {
      const statistics = store.getTermStatistics(stems);
      return { articles: statistics.articles, frequencies: stems.map((stem) => statistics.documentFrequency(stem)) };
    };
    expect(counts(together)).toEqual(counts(oneByOne));
    expect(counts(together).frequencies).toEqual([2, 1, 1, 1, 2, 2, 1, 1]);
    expect(together.lexicalVersion()).toBe(oneByOne.lexicalVersion());
    // A batch the store refuses (a new article without a vector) rolls back, counts included.
    const before = { counts: counts(together), version: together.lexicalVersion() };
    expect(() =>
      together.writeArticles([write(article("e", "Harbour lemon", "Harbour lemon ferries.")), { ...write(article("f", "Cake", "Cake.")), vector: null }]),
    ).toThrow(/no vector/);
    expect({ counts: counts(together), version: together.lexicalVersion() }).toEqual(before);
    together.close();
    oneByOne.close();
  });
});

describe("texts analysed ahead of their write", () => {
  const dump = (dataDir: string) => {
    const db = new Database(join(dataDir, "kindred.sqlite"), { readonly: true });
    try {
      return {
        lexicon: db.prepare("SELECT a.id, l.profile, l.signature, l.words FROM article_lexicon l JOIN articles a USING (label) ORDER BY a.id").all(),
        counts: db.prepare("SELECT stem, articles FROM term_counts ORDER BY stem").all(),
        matches: db.prepare("SELECT rowid FROM articles_fts WHERE articles_fts MATCH 'quorblat OR miners OR drizzle' ORDER BY rowid").all(),
      };
    } finally {
      db.close();
    }
  };
  const articles = [
    article("a", "Quorblat strike", "Quorblat strike. Quorblat miners walked out on Monday, the union said, as talks with the owners failed."),
    article("b", "Cake", "Lemon drizzle, twice. Lemon drizzle again."),
    article("c", "Quorblat talks resume", "Miners and owners met again in Quorblat on Tuesday."),
  ];

  it("are stored exactly as texts analysed in their transaction, whether or not the analysis came first", () => {
    const inline = join(useTempDir(), "inline");
    const ahead = join(useTempDir(), "ahead");
    const plain = SqliteArticleStore.open(inline);
    plain.writeArticles(articles.map(write));
    plain.close();
    const early = SqliteArticleStore.open(ahead);
    early.expectTexts(articles);
    // "c" is noted but reaches its transaction unanalysed: the transaction analyses it itself.
    for (const item of articles.slice(0, 2)) early.analyzeExpectedText(item.title, item.body);
    early.writeArticles(articles.map(write));
    // A text that was never noted is left alone.
    early.analyzeExpectedText("never noted", "never written");
    early.close();
    const [expected, actual] = [dump(inline), dump(ahead)];
    expect(expected.lexicon).toHaveLength(3);
    expect(expected.matches).toHaveLength(3);
    expect(actual).toEqual(expected);
  });
});
