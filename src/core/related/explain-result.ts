import type { CatalogEntry } from "./catalog-entry.ts";
import type { FusedCandidate, ScoreParts } from "./fuse-candidates.ts";
import type { LexicalProfile } from "./lexical-profile.ts";
import { type QueryTerm, sharedQueryTerms } from "./query-terms.ts";
import { topicWordKeys } from "./topic-similarity.ts";

/** Why one result is in the list: the parts of its score (they add up to it) and what they rest on. */
export interface Explanation {
  parts: ScoreParts;
  /**
   * Cosine similarity of the embeddings, and the lexical channel's score: the raw channel scores.
   * `bm25` keeps its wire name; it is the whole-document TF-IDF cosine (engine/document-index.ts).
   */
  cosine: number;
  bm25: number;
  /** Its topics that the topic part rests on: the query's own, or ones sharing a word with them (noise topics left out). */
  sharedTopics: string[];
  /** The query's strongest terms this result holds, as written in the query article. */
  sharedTerms: string[];
  /** The boosted topics it has. */
  boostedTopics: string[];
  /** Ids of the copies of this text folded into it. */
  folded: string[];
}

export interface ExplainContext {
  queryTopics: readonly string[];
  noiseTopics: ReadonlySet<string>;
  boostTopics: readonly string[];
  queryTerms: readonly QueryTerm[];
}

/**
 * Builds a result's explanation from its fused parts. `profile` is the result's lexical
 * profile (null when unknown: no shared terms are listed).
 */
export function explainResult(result: FusedCandidate, copies: readonly CatalogEntry[], profile: LexicalProfile | null, context: ExplainContext): Explanation {
  const topics = new Set(result.entry.topics);
  const queryKeys = new Set(context.queryTopics.filter((topic) => !context.noiseTopics.has(topic)).flatMap(topicWordKeys));
  return {
    parts: { ...result.parts },
    cosine: result.cosine,
    bm25: result.lexicalScore,
    sharedTopics: result.entry.topics.filter((topic) => !context.noiseTopics.has(topic) && topicWordKeys(topic).some((key) => queryKeys.has(key))),
    sharedTerms: profile === null ? [] : sharedQueryTerms(context.queryTerms, profile).map((term) => term.surface),
    boostedTopics: context.boostTopics.filter((topic) => topics.has(topic)),
    folded: copies.map((copy) => copy.id),
  };
}
