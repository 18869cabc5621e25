import type { FusionContext } from "./fuse-candidates.ts";
import { fusionConstants, type RankingOptions } from "./ranking-options.ts";

/**
 * The fusion's settings for one query (fuse-candidates.ts): channel weights as given, and the
 * same-story signals the hybrid adds (time proximity, the lexical cosine's level as same-event
 * evidence, shared topics without the noise topics,
 * agreement of the channels for a long query, shared neighbours), plus boost and recency when asked for. A single
 * channel gets its raw scores, no signals. `nowMs` is the clock recency measures against.
 */
export function fusionContextFor(
  query: { publishedMs: number | null; topics: readonly string[]; words: number; noiseTopics: ReadonlySet<string>; nowMs: number },
  ranking: RankingOptions,
  weights: FusionContext["weights"],
  hybrid: boolean,
): FusionContext {
  const boostTopics = ranking.boostTopics.filter((topic) => !query.noiseTopics.has(topic));
  return {
    query: { publishedMs: query.publishedMs, topics: query.topics },
    weights,
    standardize: hybrid,
    proximity: hybrid ? { weight: fusionConstants.proximityWeight, days: fusionConstants.proximityDays } : null,
    topics: hybrid && ranking.topicSignal ? { weight: fusionConstants.topicWeight, noise: query.noiseTopics } : null,
    boost: boostTopics.length > 0 ? { weight: fusionConstants.boostWeight, topics: new Set(boostTopics) } : null,
    recency: ranking.halfLifeDays === null ? null : { weight: fusionConstants.recencyWeight, halfLifeDays: ranking.halfLifeDays, nowMs: query.nowMs },
    // For a query of any length: the part itself asks for enough shared terms (a few words give
    // chance cosines: a six-article collection's draft shared only "the" with the wrong items).
    lexicalEvidence: hybrid
      ? {
          weight: fusionConstants.lexicalEvidenceWeight,
          from: fusionConstants.lexicalEvidenceFrom,
          full: fusionConstants.lexicalEvidenceFull,
          minSharedTerms: fusionConstants.lexicalEvidenceMinSharedTerms,
          days: fusionConstants.proximityDays,
        }
      : null,
    sharedNeighbours: hybrid
      ? {
          candidates: fusionConstants.sharedNeighbourCandidates,
          neighbours: fusionConstants.sharedNeighbours,
          minScore: fusionConstants.sharedNeighbourMinScore,
          weight: fusionConstants.sharedNeighbourWeight,
        }
      : null,
    // Only a query longer than the encoder's window: the encoder reads all of a short item, and
    // on a few words the lexical channel's evidence is too thin to overrule it.
    agreement:
      hybrid && query.words > fusionConstants.encoderWindowWords
        ? { none: fusionConstants.denseAgreementNone, full: fusionConstants.denseAgreementFull }
        : null,
  };
}
