import { join } from "node:path";
import Database from "better-sqlite3";
import { describe, expect, it } from "vitest";
import { detectLanguage } from "../../src/articles/detect-language.ts";
import { databaseFileName, SqliteArticleStore } from "../../src/store/sqlite-article-store.ts";
import { SqliteLanguageMemo } from "../../src/store/sqlite-language-memo.ts";
import { useTempDir } from "../support/temp-dir.ts";

describe("the language memo of a data directory", () => {
  const dataDir = join(useTempDir(), "index");
  SqliteArticleStore.open(dataDir).close();
  const texts = [
    "Central bank raises interest rates to fight inflation across the region",
    "Ein schweres Erdbeben hat die Westküste Japans erschüttert und Häuser zerstört",
    "Le gouvernement a annoncé de nouvelles mesures pour les agriculteurs du pays",
    "quake", // too few letters: no answer, and that is remembered too
  ];

  it("answers as detection does, first detecting, then from what it remembered in the database", () => {
    const expected = texts.map(detectLanguage);
    expect(expected).toEqual(["en", "de", "fr", null]);
    const first = SqliteLanguageMemo.open(dataDir);
    expect(texts.map((text) => first.languageOf(text))).toEqual(expected);
    first.close();
    const rows = new Database(join(dataDir, databaseFileName), { readonly: true });
    expect(rows.prepare("SELECT COUNT(*) AS n FROM language_guesses").get()).toEqual({ n: 4 });
    // Planted answers show the second memo reads the table rather than detecting again.
    rows.close();
    const writer = new Database(join(dataDir, databaseFileName));
    writer.prepare("UPDATE language_guesses SET lang = 'xx' WHERE lang = 'de'").run();
    writer.close();
    const second = SqliteLanguageMemo.open(dataDir);
    expect(texts.map((text) => second.languageOf(text))).toEqual(["en", "xx", "fr", null]);
    expect(second.languageOf("Una nueva ley de vivienda fue aprobada hoy por el parlamento nacional")).toBe("es");
    second.close();
  });
});
