import { join } from "node:path";
import Database from "better-sqlite3";
import { describe, expect, it } from "vitest";
import type { Article } from "../../src/core/article.ts";
import { findUrlConflicts } from "../../src/engine/url-conflicts.ts";
import { databaseFileName, SqliteArticleStore } from "../../src/store/sqlite-article-store.ts";
import { useTempDir } from "../support/temp-dir.ts";

function article(id: string, url: string | null, extra: Partial<Article> = {}): Article {
  return {
    id,
    title: `Title ${id}`,
    body: `Body of ${id}`,
    url,
    topics: [],
    publishedAt: "2025-03-02",
    publishedMs: Date.UTC(2025, 2, 2),
    lang: "en",
    source: null,
    ...extra,
  };
}
const write = (item: Article) => ({ article: item, textHash: `t-${item.id}`, embedHash: `e-${item.id}`, vector: new Float32Array([1, 0]) });

describe("article URLs and display fields in the store", () => {
  it("finds an article by any form of its URL and refuses a second article with it in the write transaction", () => {
    const store = SqliteArticleStore.open(join(useTempDir(), "index"));
    store.writeArticles([write(article("a", "https://News.example/world/a/?utm_source=x"))]);
    expect(store.findIdByUrl("https://news.example:443/world/a#top")).toBe("a");
    expect(store.findIdByUrl("https://news.example/world/b")).toBeNull();
    expect(() => store.writeArticles([write(article("b", "https://news.example/world/a"))])).toThrow(/already has/);
    expect(store.findById("b")).toBeNull();
    // The same article may keep or change its own URL.
    expect(store.writeArticles([write(article("a", "https://news.example/world/a", { section: "World" }))])[0]!.status).toBe("updated");
    store.deleteArticle("a");
    expect(store.writeArticles([write(article("b", "https://news.example/world/a"))])[0]!.status).toBe("created");
    store.close();
  });

  it("keeps image_url, section and author, and a change to one is a change", () => {
    const store = SqliteArticleStore.open(join(useTempDir(), "index"));
    const full = article("d", null, { imageUrl: "https://news.example/d.jpg", section: "Sport", author: "B. Writer" });
    store.writeArticles([write(full)]);
    expect(store.findById("d")).toMatchObject({ imageUrl: "https://news.example/d.jpg", section: "Sport", author: "B. Writer" });
    expect([...store.listSummaries()][0]).toMatchObject({ imageUrl: "https://news.example/d.jpg", section: "Sport", author: "B. Writer" });
    expect(store.writeArticles([write(full)])[0]!.status).toBe("unchanged");
    expect(store.writeArticles([write({ ...full, author: null })])[0]!.status).toBe("updated");
    store.close();
  });

  it("adds the columns to a database written before them, keeping its rows and indexing their URLs", () => {
    const dataDir = join(useTempDir(), "index");
    const store = SqliteArticleStore.open(dataDir);
    store.writeArticles([write(article("old-1", "https://news.example/old/")), write(article("old-2", null))]);
    store.close();
    // Make it look like a database of the previous release: no display columns, no url_key, the old covering index.
    const db = new Database(join(dataDir, databaseFileName));
    db.exec("DROP INDEX articles_summary_display; DROP INDEX articles_url_key");
    for (const column of ["image_url", "section", "author", "url_key"]) db.exec(`ALTER TABLE articles DROP COLUMN ${column}`);
    db.exec("CREATE INDEX articles_summary ON articles(label, id, title, url, published_at, published_ms, lang, text_hash, embed_hash, seq)");
    db.close();

    const reopened = SqliteArticleStore.open(dataDir);
    expect(reopened.findById("old-1")).toMatchObject({ url: "https://news.example/old/", imageUrl: null, section: null, author: null });
    expect(reopened.findIdByUrl("https://news.example/old")).toBe("old-1");
    expect([...reopened.listSummaries()].map((summary) => summary.id)).toEqual(["old-1", "old-2"]);
    reopened.close();
    const check = new Database(join(dataDir, databaseFileName));
    const indexes = check
      .prepare<[], { name: string }>("SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'articles'")
      .all()
      .map((row) => row.name);
    check.close();
    expect(indexes).toEqual(expect.arrayContaining(["articles_summary_display", "articles_url_key"]));
    expect(indexes).not.toContain("articles_summary");
  });

  it("lists the conflicting articles of a write, counting the write's own moves", () => {
    const owners = new Map([
      ["https://news.example/a", "a"],
      ["https://news.example/b", "b"],
    ]);
    const store = { findIdByUrl: (url: string) => owners.get(url) ?? null };
    const conflicts = findUrlConflicts(store, [
      article("x", "https://news.example/a/"), // a keeps it: conflict
      article("b", "https://news.example/c"), // b moves away from /b...
      article("y", "https://news.example/b"), // ...so y may take it
      article("z", "https://news.example/c#top"), // b took /c first in this write
    ]);
    expect(conflicts).toEqual([
      { index: 0, id: "x", url: "https://news.example/a", conflictingId: "a" },
      { index: 3, id: "z", url: "https://news.example/c", conflictingId: "b" },
    ]);
    // The store writes in list order: a URL is free only after its owner has moved.
    expect(findUrlConflicts(store, [article("y", "https://news.example/b"), article("b", "https://news.example/c")])).toEqual([
      { index: 0, id: "y", url: "https://news.example/b", conflictingId: "b" },
    ]);
  });
});
