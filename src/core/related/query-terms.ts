import type { LexicalProfile, ProfileTerm } from "./lexical-profile.ts";

/** Corpus statistics of the lexical channel: articles indexed and, per stem, how many hold it. */
export interface TermStatistics {
  articles: number;
  documentFrequency: (stem: string) => number;
}

/** A chosen query term: the stem, the word sent to the engine, and how strongly it was chosen. */
export interface QueryTerm {
  stem: string;
  surface: string;
  weight: number;
}

export interface QueryTermOptions {
  /** Terms kept (default 40: fewer lose long articles' specifics; docs/evaluation.md). */
  maxTerms: number;
  /** Terms in more than this share of articles say nothing about one story (default 0.3). */
  maxDocumentShare: number;
  /** Terms in fewer articles cannot match another one (default 2: the article itself and one more). */
  minDocumentFrequency: number;
}

export const defaultQueryTermOptions: QueryTermOptions = Object.freeze({ maxTerms: 40, maxDocumentShare: 0.3, minDocumentFrequency: 2 });

/**
 * English function words and news boilerplate ("said", "told", "year"), matched on the word as
 * written: they would otherwise fill "more like this" queries with terms every article has.
 */
export const stopWords: ReadonlySet<string> = new Set(
  `a about above after again against all also am an and any are as at be because been before being below between both but by can could
did do does doing down during each few for from further had has have having he her here hers herself him himself his how i if in into
is it its itself just me more most my myself no nor not now of off on once only or other our ours ourselves out over own said same say
says she should so some such than that the their theirs them themselves then there these they this those through to too under until up
very was we were what when where which while who whom why will with would you your yours yourself yourselves mr mrs ms one two new year
years told s t u us`.split(/\s+/),
);

/** True for an English function word or news boilerplate word (see `stopWords`). */
export function isStopWord(word: string): boolean {
  return stopWords.has(word);
}

/**
 * The full-text engine's Porter stems of the stop words that are not stop words themselves
 * ("was" is stored as "wa", "this" as "thi"); test/related/stop-stems.test.ts checks them against
 * the store's own tokenizer.
 */
const stopStems = new Set("abov ani ar becaus befor doe dure ha hi onc onli ourselv sai thei themselv thi veri wa yourselv".split(" "));

/** True for a stem (as the store indexes it) of a stop word: what a document index sees instead of the word. */
export function isStopStem(stem: string): boolean {
  return stopWords.has(stem) || stopStems.has(stem);
}

/**
 * BM25's inverse document frequency as SQLite FTS5 computes it (fts5_aux.c): ln((N - n + 0.5) / (n + 0.5)),
 * floored at 1e-6 so very common terms count for almost nothing rather than less than nothing.
 */
export function inverseDocumentFrequency(documentFrequency: number, articles: number): number {
  return Math.max(1e-6, Math.log((articles - documentFrequency + 0.5) / (documentFrequency + 0.5)));
}

/** How much a term of the profile says about its article: (1 + ln tf) * idf, names and numbers x1.5. */
export function termWeight(term: ProfileTerm, statistics: TermStatistics): number {
  const frequency = 2 * term.titleCount + term.bodyCount;
  const boost = (term.capitalised ? 1.5 : 1) * (term.digit ? 1.5 : 1);
  return (1 + Math.log(frequency)) * inverseDocumentFrequency(statistics.documentFrequency(term.stem), statistics.articles) * boost;
}

/**
 * Chooses an article's "more like this" query (after Lucene's MoreLikeThis): the terms that
 * best tell it apart, title words counting double, names and numbers weighted up, function
 * words and terms too rare to match or too common to discriminate left out. Ties break by stem
 * so a query is reproducible.
 *
 * @example
 *   selectQueryTerms(profile, { articles: 10_514, documentFrequency: (stem) => df.get(stem) ?? 0 });
 *   // [{ stem: "hegseth", surface: "hegseth", weight: 17.2 }, { stem: "cyber", ... }, ...]
 */
export function selectQueryTerms(profile: LexicalProfile, statistics: TermStatistics, options: QueryTermOptions = defaultQueryTermOptions): QueryTerm[] {
  const maxFrequency = options.maxDocumentShare * statistics.articles;
  const chosen: QueryTerm[] = [];
  for (const term of profile.terms) {
    if (stopWords.has(term.surface) || stopWords.has(term.stem)) continue;
    const documentFrequency = statistics.documentFrequency(term.stem);
    if (documentFrequency < options.minDocumentFrequency || documentFrequency > maxFrequency) continue;
    chosen.push({ stem: term.stem, surface: term.surface, weight: termWeight(term, statistics) });
  }
  chosen.sort((a, b) => b.weight - a.weight || (a.stem < b.stem ? -1 : a.stem > b.stem ? 1 : 0));
  return chosen.slice(0, options.maxTerms);
}

/**
 * The query terms another article shares, strongest first: what an explanation shows as "why
 * these two match in words".
 */
export function sharedQueryTerms(queryTerms: readonly QueryTerm[], other: LexicalProfile, limit = 5): QueryTerm[] {
  const stems = new Set(other.terms.map((term) => term.stem));
  return queryTerms.filter((term) => stems.has(term.stem)).slice(0, limit);
}
