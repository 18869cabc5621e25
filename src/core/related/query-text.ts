import type { LexicalProfile } from "./lexical-profile.ts";
import { isStopWord, type TermStatistics } from "./query-terms.ts";

/** What a free-text query holds that could tell one story from another, and how to rank it. */
export type QueryTextVerdict =
  /** No content word at all (function words, symbols, emoji): refused, a list would be filler. */
  | { kind: "refuse"; reason: string }
  /** One content word: ranked by that word alone (articles that hold it), with a warning. */
  | { kind: "words_only"; warning: string; word: string }
  /** Enough text for the full ranking. */
  | { kind: "full" };

/**
 * Judges whether a query text can be ranked honestly. The embedding of a few
 * letters, of emoji or of "the and of a" is a point somewhere in the space, and its nearest
 * articles come back at a middling cosine as if related; so:
 * - no content word (stop words, symbols, emoji, nothing the index tokenises): refuse with the reason;
 * - a single content word held by more than `maxDocumentShare` of the articles: refuse, it
 *   cannot tell one story from another;
 * - a single content word otherwise: rank by that word alone, saying so (an empty list when
 *   no article holds it);
 * - two or more: the full ranking.
 *
 * @example
 *   judgeQueryText(store.analyzeText("", "the and of a"), statistics); // { kind: "refuse", ... }
 */
export function judgeQueryText(profile: LexicalProfile, statistics: TermStatistics, maxDocumentShare = 0.3): QueryTextVerdict {
  const content = profile.terms.filter((term) => !isStopWord(term.surface) && !isStopWord(term.stem) && /[\p{L}\p{N}]/u.test(term.stem));
  if (content.length === 0) {
    return {
      kind: "refuse",
      reason: "The text holds no word that could tell one story from another (only common function words, symbols or emoji). Give a sentence or a headline.",
    };
  }
  if (content.length > 1) return { kind: "full" };
  const word = content[0]!;
  const share = statistics.articles === 0 ? 0 : statistics.documentFrequency(word.stem) / statistics.articles;
  if (share > maxDocumentShare) {
    return {
      kind: "refuse",
      reason: `"${word.surface}" alone is in ${Math.round(share * 100)}% of the articles: too common to tell one story from another. Give a sentence or a headline.`,
    };
  }
  return {
    kind: "words_only",
    word: word.surface,
    warning: `A single word ("${word.surface}"): ranked by that word alone, so the list holds only articles that contain it. Give a sentence or a headline for related stories.`,
  };
}
