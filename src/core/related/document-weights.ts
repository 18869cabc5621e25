import type { ProfileTerm } from "./lexical-profile.ts";

/**
 * How the whole-document lexical channel (engine/document-index.ts) weighs a term of
 * an article: sublinear term frequency, (1 + ln tf), title occurrences counting `titleWeight`
 * times and those in the lead (lexical-profile.ts, `leadTokens`) `leadWeight` more times (a
 * headline and a news lead state the event, who, where and when; the rest of a long article
 * drifts into background and quotes that other events share), times `nameBoost` for a term
 * written with a capital inside a sentence (a name, a place) and `numberBoost` for one holding
 * a digit (a count, a date, an address): the specifics that tell one event from another of the
 * same kind (SemEval-2022 Task 8: entities, places and time carried news similarity; TREC News
 * background linking: entity weighting helped). Idf (`idfOf`) is applied when scoring, since it
 * moves with every write. What title and lead weighting were worth: docs/evaluation.md.
 */
export interface DocumentWeighting {
  titleWeight: number;
  /** Added to each occurrence in the lead (which `bodyCount` already counts once). */
  leadWeight: number;
  nameBoost: number;
  numberBoost: number;
  /** Postings read to gather a query's candidates before the weakest terms are skipped. */
  postingBudget: number;
}

export const defaultDocumentWeighting: DocumentWeighting = Object.freeze({
  titleWeight: 2,
  leadWeight: 1,
  nameBoost: 1.5,
  numberBoost: 1.5,
  postingBudget: 200_000,
});

/** A term's weight in its article before idf; 0 for a term that does not occur. */
export function documentTermWeight(term: ProfileTerm, weighting: DocumentWeighting): number {
  const frequency = weighting.titleWeight * term.titleCount + term.bodyCount + weighting.leadWeight * term.leadCount;
  if (frequency <= 0) return 0;
  return (1 + Math.log(Math.max(1, frequency))) * (term.capitalised ? weighting.nameBoost : 1) * (term.digit ? weighting.numberBoost : 1);
}

/** Smoothed inverse document frequency, ln((1 + N) / (1 + df)) + 1 (as scikit-learn's TfidfVectorizer). */
export function idfOf(documentFrequency: number, articles: number): number {
  return Math.log((1 + articles) / (1 + documentFrequency)) + 1;
}

/** Terms in fewer than 2 articles match no other; terms in more than half of them tell no story apart. */
export function usableTerm(documentFrequency: number, articles: number): boolean {
  return documentFrequency >= 2 && documentFrequency <= articles / 2;
}
