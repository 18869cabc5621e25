import { dateProximity } from "./date-proximity.ts";
import { type FusionContext, meanAndDeviation } from "./fuse-candidates.ts";
import { lexicalEvidenceOfPair } from "./lexical-evidence.ts";

/**
 * Shared neighbours: the query's best candidates scored against each other, and each one's part
 * for how many of its own nearest neighbours are the query's. Reports of one event are each
 * other's neighbours, so a candidate from the query's event has the query's neighbours for its
 * own; a report of another event of the same kind (a second earthquake) may score as high
 * against the query, but its own neighbours are its own event's reports. Similarity over
 * neighbourhoods, not pairs, is the shared-nearest-neighbour idea (Jarvis and Patrick 1973) that
 * re-ranking by k-reciprocal neighbours revived in image retrieval. Measured: docs/evaluation.md.
 */

/** The scale a query's pool put its channels on: a pair of its candidates is scored on the same one. */
export interface PoolScale {
  denseMean: number;
  denseDeviation: number;
  denseWeight: number;
  lexicalMean: number;
  lexicalDeviation: number;
  lexicalWeight: number;
}

/** What is known of two articles: their centred embedding cosine, whole-document cosine, shared scoring terms and dates. */
export interface ArticlePair {
  dense: number;
  lexical: number;
  sharedTerms: number;
  publishedMs: number | null;
  otherPublishedMs: number | null;
}

/**
 * The pool's scale: each channel's mean and standard deviation over the query's pool (raw
 * scores, as the fusion standardises them) and the weights the fusion gave them.
 */
export function poolScale(denseScores: ArrayLike<number>, lexicalScores: ArrayLike<number>, weights: { dense: number; lexical: number }): PoolScale {
  const dense = channelScale(denseScores);
  const lexical = channelScale(lexicalScores);
  return {
    denseMean: dense.mean,
    denseDeviation: dense.deviation,
    denseWeight: weights.dense,
    lexicalMean: lexical.mean,
    lexicalDeviation: lexical.deviation,
    lexicalWeight: weights.lexical,
  };
}

/**
 * How related two articles are, as the query's fusion would score one of them for the other:
 * the channels as z-scores on the pool's scale, the same-event evidence and the date
 * proximity. Query-only parts (topics, boost, recency) are left out: they say what the reader
 * of this query wants, not how near two candidates are.
 */
export function pairScore(context: FusionContext, scale: PoolScale, pair: ArticlePair): number {
  const dense = scale.denseWeight === 0 ? 0 : (scale.denseWeight * (pair.dense - scale.denseMean)) / scale.denseDeviation;
  const lexical = scale.lexicalWeight === 0 ? 0 : (scale.lexicalWeight * (pair.lexical - scale.lexicalMean)) / scale.lexicalDeviation;
  const evidence = lexicalEvidenceOfPair(context, pair.publishedMs, pair.otherPublishedMs, pair.lexical, pair.sharedTerms);
  const { proximity } = context;
  const near =
    proximity === null || pair.publishedMs === null || pair.otherPublishedMs === null
      ? 0
      : proximity.weight * dateProximity(pair.publishedMs, pair.otherPublishedMs, proximity.days);
  return dense + lexical + evidence + near;
}

export interface SharedNeighbourOptions {
  /** How many nearest neighbours each article keeps (the query's are its first candidates). */
  neighbours: number;
  /** A neighbour scores at least this much (fused, or `pairScore`): a weaker one is no evidence. */
  minScore: number;
  /** The part of a candidate whose neighbourhood is the query's own. */
  weight: number;
}

/**
 * Each candidate's shared-neighbour part. Member 0 is the query, members 1 to size - 1 its best
 * candidates in fused order, `fusedScores[i - 1]` member i's fused score and `pairScores[a *
 * size + b]` the pair score of members a and b (a >= 1; `pairScore`, the query included as b =
 * 0). The query's neighbourhood is itself and its first `neighbours` candidates scoring at least
 * `minScore`; a candidate's is itself and the `neighbours` members it scores highest, at least
 * `minScore`. The part is `weight` times the cosine of the two sets (shared / sqrt(product of
 * sizes)): a candidate and the query that are each other's only neighbour share everything.
 * Returns the part per candidate (index i - 1 for member i).
 *
 * @example
 *   // the query, then candidates 1 and 2 of one event and 3 of another, which 1 and 2 score low
 *   sharedNeighbourParts(pairs, 4, [6, 5, 4], { neighbours: 2, minScore: 3, weight: 4 })
 */
export function sharedNeighbourParts(pairScores: Float64Array, size: number, fusedScores: ArrayLike<number>, options: SharedNeighbourOptions): Float64Array {
  const parts = new Float64Array(Math.max(0, size - 1));
  if (size < 2 || options.weight === 0) return parts;
  const ofQuery = new Uint8Array(size);
  ofQuery[0] = 1;
  let querySize = 1;
  for (let member = 1; member < size && member <= options.neighbours; member++) {
    if (fusedScores[member - 1]! >= options.minScore) {
      ofQuery[member] = 1;
      querySize++;
    }
  }
  const others: number[] = [];
  for (let member = 1; member < size; member++) {
    others.length = 0;
    for (let other = 0; other < size; other++) if (other !== member && pairScores[member * size + other]! >= options.minScore) others.push(other);
    // Best first; ties by member, so the neighbourhood does not depend on the sort.
    const row = member * size;
    others.sort((a, b) => (pairScores[row + b]! > pairScores[row + a]! ? 1 : pairScores[row + b]! < pairScores[row + a]! ? -1 : a - b));
    const kept = Math.min(options.neighbours, others.length);
    let shared = ofQuery[member]!;
    for (let n = 0; n < kept; n++) shared += ofQuery[others[n]!]!;
    parts[member - 1] = (options.weight * shared) / Math.sqrt(querySize * (kept + 1));
  }
  return parts;
}

/** A channel's mean and deviation over the pool; one that does not vary puts every candidate at 0, as `standardize` does. */
function channelScale(values: ArrayLike<number>): { mean: number; deviation: number } {
  const { mean, deviation } = meanAndDeviation(values);
  return { mean, deviation: deviation < 1e-12 ? Number.POSITIVE_INFINITY : deviation };
}
