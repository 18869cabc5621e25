import type Database from "better-sqlite3";
import {
  bodyWithoutTitle,
  buildLexicalProfile,
  decodeLexicalProfile,
  encodeLexicalProfile,
  type LexicalProfile,
  leadTokens,
  profileCountsLead,
  type TermOccurrence,
} from "../core/related/lexical-profile.ts";
import type { TermStatistics } from "../core/related/query-terms.ts";
import { normalizedWords, shingleSignature } from "../core/related/shingle-signature.ts";
import { encodeTypedArray } from "./typed-array-blobs.ts";

/**
 * The lexical channel's SQL (schema version 2): an FTS5 index of title and body, each
 * article's lexical profile and shingle signature, and per-stem article counts. The FTS5 table
 * is contentless (the text lives once, in `articles`) with contentless_delete so rows can be
 * replaced; `term_counts` mirrors FTS5's document frequencies in a B-tree, because looking
 * hundreds of terms up in fts5vocab is slow per term (docs/performance.md, "Figures behind
 * code choices").
 */
export const lexiconSchemaSql = `
CREATE VIRTUAL TABLE IF NOT EXISTS articles_fts USING fts5(
  title, body, content='', contentless_delete=1, tokenize='porter unicode61 remove_diacritics 2'
);
CREATE TABLE IF NOT EXISTS article_lexicon (
  label INTEGER PRIMARY KEY REFERENCES articles(label) ON DELETE CASCADE,
  profile TEXT NOT NULL,
  signature BLOB NOT NULL,
  words INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS term_counts (
  -- '' (never a token) holds the number of articles indexed.
  stem TEXT PRIMARY KEY,
  articles INTEGER NOT NULL
) WITHOUT ROWID;
`;

/** What an article's text gives the lexicon before anything is stored. */
interface TextAnalysis {
  lexicalBody: string;
  profile: LexicalProfile;
  encodedProfile: string;
  summary: LexiconSummary;
}

/** Texts `SqliteLexicon.expect` remembers at most: two bulk batches in flight, and some. */
const aheadLimit = 1_024;

function textKey(title: string, body: string): string {
  return `${title}\u0000${body}`;
}

/** What the catalog keeps of an article's lexicon: the signature (for folding) and its length. */
export interface LexiconSummary {
  signature: Uint32Array;
  words: number;
}

/**
 * Keeps the lexical index in step with the articles table: called by the store inside each
 * write transaction, so the FTS5 index, profiles and counts change atomically with the text.
 * Tokenising goes through FTS5 itself (a one-row scratch table in the connection's temp schema
 * and fts5vocab 'instance'), so profiles hold exactly the stems the index matches. The scratch
 * table is contentless and cleared with 'delete-all': deleting a row of a table with content
 * tokenises its text again to find the entries to remove.
 */
export class SqliteLexicon {
  readonly #statements;
  /** Inside `countingTogether`: term count changes summed per stem, and texts added or removed, until the work is done. */
  #pendingCounts: { byStem: Map<string, number>; changes: number } | null = null;
  /** Texts noted by `expect`, each with its analysis once `analyzeExpected` made it (null until then). */
  readonly #ahead = new Map<string, TextAnalysis | null>();

  constructor(db: Database.Database) {
    db.exec(`
      CREATE VIRTUAL TABLE IF NOT EXISTS temp.lexicon_scratch USING fts5(title, body, content='', tokenize='porter unicode61 remove_diacritics 2');
      CREATE VIRTUAL TABLE IF NOT EXISTS temp.lexicon_scratch_terms USING fts5vocab(temp, lexicon_scratch, 'instance');
    `);
    this.#statements = {
      scratchInsert: db.prepare<[string, string]>("INSERT INTO temp.lexicon_scratch(rowid, title, body) VALUES (1, ?, ?)"),
      // Rows as arrays: a text's hundreds of token rows are made faster than objects.
      scratchTerms: db.prepare<[], [term: string, column: "title" | "body", offset: number]>("SELECT term, col, offset FROM temp.lexicon_scratch_terms").raw(),
      scratchClear: db.prepare("INSERT INTO temp.lexicon_scratch(lexicon_scratch) VALUES ('delete-all')"),
      ftsInsert: db.prepare<[number, string, string]>("INSERT INTO articles_fts(rowid, title, body) VALUES (?, ?, ?)"),
      ftsDelete: db.prepare<[number]>("DELETE FROM articles_fts WHERE rowid = ?"),
      lexiconInsert: db.prepare<[number, string, Buffer, number]>(
        "INSERT OR REPLACE INTO article_lexicon(label, profile, signature, words) VALUES (?, ?, ?, ?)",
      ),
      lexiconDelete: db.prepare<[number]>("DELETE FROM article_lexicon WHERE label = ?"),
      profile: db.prepare<[number], { profile: string }>("SELECT profile FROM article_lexicon WHERE label = ?"),
      count: db.prepare<[string, number]>(
        "INSERT INTO term_counts(stem, articles) VALUES (?, ?) ON CONFLICT(stem) DO UPDATE SET articles = articles + excluded.articles",
      ),
      dropZeroCount: db.prepare<[string]>("DELETE FROM term_counts WHERE stem = ? AND articles <= 0"),
      counts: db.prepare<[string], { stem: string; articles: number }>("SELECT stem, articles FROM term_counts WHERE stem IN (SELECT value FROM json_each(?))"),
      bumpVersion: db.prepare<[number]>(
        "INSERT INTO meta(key, value) VALUES ('lexicon_version', ?) ON CONFLICT(key) DO UPDATE SET value = CAST(value AS INTEGER) + CAST(excluded.value AS INTEGER)",
      ),
      version: db.prepare<[], { value: string }>("SELECT value FROM meta WHERE key = 'lexicon_version'"),
      search: db.prepare<[string, number], [number, number]>(
        "SELECT rowid, -bm25(articles_fts) FROM articles_fts WHERE articles_fts MATCH ? ORDER BY bm25(articles_fts) LIMIT ?",
      ),
    };
  }

  /** Tokenises a text through FTS5 into its profile (nothing is stored). */
  analyze(title: string, body: string): LexicalProfile {
    const lexicalBody = bodyWithoutTitle(title, body);
    this.#statements.scratchInsert.run(title, lexicalBody);
    try {
      const occurrences: TermOccurrence[] = this.#statements.scratchTerms.all().map(([stem, column, offset]) => ({ stem, column, offset }));
      return buildLexicalProfile(title, lexicalBody, occurrences);
    } finally {
      this.#statements.scratchClear.run();
    }
  }

  /** Indexes an article's text (call `remove` first when replacing it). Returns what the catalog keeps. */
  add(label: number, title: string, body: string): LexiconSummary {
    const key = textKey(title, body);
    const analysis = this.#ahead.get(key) ?? this.#analysis(title, body);
    this.#ahead.delete(key);
    this.#statements.ftsInsert.run(label, title, analysis.lexicalBody);
    this.#statements.lexiconInsert.run(label, analysis.encodedProfile, encodeTypedArray(analysis.summary.signature), analysis.summary.words);
    this.#adjustCounts(analysis.profile, +1);
    return analysis.summary;
  }

  /**
   * Notes texts that are about to be added, so that `analyzeExpected` may tokenise and sign them
   * before their write transaction begins (the store writer does it while the model embeds them,
   * and the transaction, which holds the write lock, then only inserts). What is noted but never
   * added is forgotten oldest first beyond `aheadLimit` texts.
   */
  expect(title: string, body: string): void {
    const key = textKey(title, body);
    if (this.#ahead.has(key)) return;
    this.#ahead.set(key, null);
    for (const oldest of this.#ahead.keys()) {
      if (this.#ahead.size <= aheadLimit) break;
      this.#ahead.delete(oldest);
    }
  }

  /** Analyses a text noted by `expect` and not yet added; anything else is left alone. */
  analyzeExpected(title: string, body: string): void {
    const key = textKey(title, body);
    if (this.#ahead.get(key) === null) this.#ahead.set(key, this.#analysis(title, body));
  }

  /** Everything `add` derives from the text alone: a pure function of title and body. */
  #analysis(title: string, body: string): TextAnalysis {
    const profile = this.analyze(title, body);
    const lexicalBody = bodyWithoutTitle(title, body);
    const summary = { signature: shingleSignature(lexicalBody === "" ? title : lexicalBody), words: normalizedWords(`${title} ${lexicalBody}`).length };
    return { lexicalBody, profile, encodedProfile: encodeLexicalProfile(profile), summary };
  }

  /** Removes an article's text from the index; nothing happens if it was not indexed. */
  remove(label: number): void {
    const profile = this.profile(label);
    if (profile === null) return;
    this.#statements.ftsDelete.run(label);
    this.#statements.lexiconDelete.run(label);
    this.#adjustCounts(profile, -1);
  }

  profile(label: number): LexicalProfile | null {
    const row = this.#statements.profile.get(label);
    return row === undefined ? null : decodeLexicalProfile(row.profile);
  }

  /** Articles indexed and the document frequency of each of these stems (0 when unknown). */
  statistics(stems: readonly string[]): TermStatistics {
    const counts = new Map<string, number>();
    for (const row of this.#statements.counts.all(JSON.stringify(["", ...stems]))) counts.set(row.stem, row.articles);
    return { articles: counts.get("") ?? 0, documentFrequency: (stem) => counts.get(stem) ?? 0 };
  }

  /** BM25 (FTS5's, k1 1.2, b 0.75; higher is better) of the articles matching any of the words. */
  search(words: readonly string[], limit: number): { label: number; score: number }[] {
    if (words.length === 0 || limit <= 0) return [];
    const match = words.map((word) => `"${word.replaceAll('"', '""')}"`).join(" OR ");
    return this.#statements.search
      .raw()
      .all(match, limit)
      .map(([label, score]) => ({ label, score }));
  }

  /** Goes up with every text added or removed: BM25's statistics (article count, lengths, frequencies) changed. */
  version(): number {
    return Number(this.#statements.version.get()?.value ?? 0);
  }

  /**
   * Counts, once, the lead of every article whose stored profile does not count it (written
   * before lead counts, or with another `leadTokens`): the lexical channel weighs the lead, and
   * a mix of old and new profiles would weigh articles unevenly. The counts come from the FTS5
   * index's own token positions in one scan (several times faster than re-tokenising every text:
   * docs/evaluation.md), so stems and the other counts stay as they were. Idempotent:
   * a meta key records the lead length done, checked inside the write transaction so two
   * processes opening one directory do it once. Returns how many profiles it rewrote.
   */
  countLeadsOnce(db: Database.Database): number {
    const key = "lexicon_lead_tokens";
    return db
      .transaction(() => {
        if (db.prepare<[string], { value: string }>("SELECT value FROM meta WHERE key = ?").get(key)?.value === String(leadTokens)) return 0;
        db.exec(`
          CREATE VIRTUAL TABLE IF NOT EXISTS temp.lexicon_index_terms USING fts5vocab(main, 'articles_fts', 'instance');
          CREATE TEMP TABLE IF NOT EXISTS lexicon_leads(doc INTEGER, term TEXT, n INTEGER, PRIMARY KEY (doc, term)) WITHOUT ROWID;
          DELETE FROM temp.lexicon_leads;
        `);
        db.prepare<[number]>(
          "INSERT INTO temp.lexicon_leads SELECT doc, term, count(*) FROM temp.lexicon_index_terms WHERE col = 'body' AND offset < ? GROUP BY doc, term",
        ).run(leadTokens);
        const leadsOf = db.prepare<[number], { term: string; n: number }>("SELECT term, n FROM temp.lexicon_leads WHERE doc = ?");
        const update = db.prepare<[string, number]>("UPDATE article_lexicon SET profile = ? WHERE label = ?");
        const page = db.prepare<[number], { label: number; profile: string }>(
          "SELECT label, profile FROM article_lexicon WHERE label > ? ORDER BY label LIMIT 1000",
        );
        let updated = 0;
        // A page at a time, so a large index's profiles are never all in memory at once.
        for (let rows = page.all(0); rows.length > 0; rows = page.all(rows.at(-1)!.label)) {
          for (const row of rows) {
            if (profileCountsLead(row.profile)) continue;
            const profile = decodeLexicalProfile(row.profile);
            const leads = new Map(leadsOf.all(row.label).map((lead) => [lead.term, lead.n]));
            for (const term of profile.terms) term.leadCount = leads.get(term.stem) ?? 0;
            update.run(encodeLexicalProfile(profile), row.label);
            updated++;
          }
        }
        db.exec("DROP TABLE temp.lexicon_leads; DROP TABLE temp.lexicon_index_terms;");
        db.prepare("INSERT INTO meta(key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value").run(key, String(leadTokens));
        return updated;
      })
      .immediate();
  }

  /**
   * Runs `work` (the texts added and removed by one store transaction, inside it) with the term
   * counts' changes summed per stem and written once at the end: a stem shared by the articles of
   * a batch is one upsert, not one per article. The counts and version end as they would one text
   * at a time. If `work` throws, nothing is written (the transaction rolls back).
   */
  countingTogether<T>(work: () => T): T {
    if (this.#pendingCounts !== null) return work();
    const pending = { byStem: new Map<string, number>(), changes: 0 };
    this.#pendingCounts = pending;
    let result: T;
    try {
      result = work();
    } finally {
      this.#pendingCounts = null;
    }
    if (pending.changes > 0) this.#statements.bumpVersion.run(pending.changes);
    for (const [stem, delta] of pending.byStem) this.#writeCount(stem, delta);
    return result;
  }

  #adjustCounts(profile: LexicalProfile, delta: 1 | -1): void {
    const stems = ["", ...profile.terms.map((term) => term.stem)];
    const pending = this.#pendingCounts;
    if (pending === null) {
      this.#statements.bumpVersion.run(1);
      for (const stem of stems) this.#writeCount(stem, delta);
      return;
    }
    pending.changes++;
    for (const stem of stems) pending.byStem.set(stem, (pending.byStem.get(stem) ?? 0) + delta);
  }

  #writeCount(stem: string, delta: number): void {
    if (delta === 0) return;
    this.#statements.count.run(stem, delta);
    if (delta < 0) this.#statements.dropZeroCount.run(stem);
  }
}
