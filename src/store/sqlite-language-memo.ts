import { join } from "node:path";
import Database from "better-sqlite3";
import { detectSampleLanguage, languageSample } from "../articles/detect-language.ts";
import { sha256Base64Url } from "../core/content-hash.ts";
import { databaseFileName } from "./sqlite-article-store.ts";

/**
 * Language detection remembered in the data directory: the detector's answer for each text
 * sample it has read (keyed by the sample's hash), so `kindred index` run again over the same
 * feed reads no text twice. Detection is a pure function of the sample, so a remembered answer
 * is the answer detection would give: results never change, only their cost (detection was
 * most of a no-change re-index; docs/performance.md). Its own connection and table
 * (`language_guesses`, created if missing); answers found are written in `flush()`.
 *
 * @example
 *   const memo = SqliteLanguageMemo.open(config.dataDir);
 *   readArticles(path, undefined, { languageOf: (text) => memo.languageOf(text) });
 *   memo.flush();
 */
export class SqliteLanguageMemo {
  readonly #db: Database.Database;
  readonly #remember: Database.Statement<[string, string | null]>;
  /** Every answer remembered, read in one query on the first lookup (a re-index asks for most of them). */
  #known: Map<string, string | null> | null = null;
  /** Answers detected since the last flush, by sample hash. */
  readonly #fresh = new Map<string, string | null>();

  private constructor(db: Database.Database) {
    this.#db = db;
    db.exec("CREATE TABLE IF NOT EXISTS language_guesses (sample_hash TEXT PRIMARY KEY, lang TEXT) WITHOUT ROWID");
    this.#remember = db.prepare("INSERT OR IGNORE INTO language_guesses (sample_hash, lang) VALUES (?, ?)");
  }

  /** Opens the memo in the data directory's database (which must exist: open the store first). */
  static open(dataDir: string): SqliteLanguageMemo {
    const db = new Database(join(dataDir, databaseFileName));
    db.pragma("journal_mode = WAL");
    db.pragma("busy_timeout = 5000");
    return new SqliteLanguageMemo(db);
  }

  /** `detectLanguage(text)`, read from the memo when this sample was seen before. */
  languageOf(text: string): string | null {
    const sample = languageSample(text);
    const key = sha256Base64Url(sample);
    if (this.#fresh.has(key)) return this.#fresh.get(key)!;
    this.#known ??= this.#readAll();
    const known = this.#known.get(key);
    if (known !== undefined) return known;
    const lang = detectSampleLanguage(sample);
    this.#fresh.set(key, lang);
    return lang;
  }

  #readAll(): Map<string, string | null> {
    const rows = this.#db.prepare<[], [string, string | null]>("SELECT sample_hash, lang FROM language_guesses").raw().all();
    return new Map(rows);
  }

  /** Writes the answers detected since the last flush, in one transaction. */
  flush(): void {
    if (this.#fresh.size === 0) return;
    this.#db.transaction(() => {
      for (const [key, lang] of this.#fresh) this.#remember.run(key, lang);
    })();
    this.#fresh.clear();
  }

  close(): void {
    this.flush();
    this.#db.close();
  }
}
