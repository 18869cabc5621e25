import type { CatalogEntry } from "./catalog-entry.ts";
import { topicSetSimilarity, topicSetVector } from "./topic-similarity.ts";

/** A candidate in the pool with each channel's raw score. */
export interface PoolCandidate {
  entry: CatalogEntry;
  /** Inner product with the (possibly feedback-expanded) query vector; what the dense part fuses. */
  denseScore: number;
  /** Whole-document TF-IDF cosine with the query (engine/document-index.ts; 0 when they share no term). */
  lexicalScore: number;
  /** Cosine similarity of the two articles' embeddings, in [-1, 1]: reported, never fused. */
  cosine: number;
}

/** The parts of a fused score; `score` is exactly their sum. */
export interface ScoreParts {
  dense: number;
  lexical: number;
  proximity: number;
  topics: number;
  boost: number;
  recency: number;
}

export interface FusedCandidate extends PoolCandidate {
  score: number;
  parts: ScoreParts;
}

/** Everything a fusion needs beyond the pool; a null signal is off. */
export interface FusionContext {
  query: { publishedMs: number | null; topics: readonly string[] };
  weights: { dense: number; lexical: number };
  /** Fuse channels as z-scores over the pool (hybrid); false keeps the raw score of a single channel. */
  standardize: boolean;
  proximity: { weight: number; days: number } | null;
  /** Shared and kindred topics (topic-similarity.ts), noise topics left out. */
  topics: { weight: number; noise: ReadonlySet<string> } | null;
  boost: { weight: number; topics: ReadonlySet<string> } | null;
  recency: { weight: number; halfLifeDays: number; nowMs: number } | null;
  /**
   * The dense weight scaled by how well the two channels agree over the pool (`denseAgreement`);
   * null keeps it fixed. Only with `standardize`.
   */
  agreement: { none: number; full: number } | null;
}

const dayMs = 86_400_000;

/**
 * Fuses a candidate pool into one score per candidate (a sum of parts, in standard deviations
 * of this query's pool), best first; ties break by id so lists are stable.
 *
 * - dense, lexical: each channel's score as a z-score over the pool, times its weight (a
 *   single-channel ranking, `standardize: false`, keeps the raw cosine or BM25). Z-scores
 *   put a cosine and a BM25 on one scale without per-site calibration (a raw mix needs a
 *   different weight per collection), and unlike reciprocal-rank fusion they keep how far
 *   ahead a candidate is (RRF lost to z-scores on every eval set: docs/evaluation.md).
 *   With `agreement`, the dense weight is scaled by `denseAgreement`: where the embedding
 *   ranks the pool against the whole-document words (every gva report is "a shooting" to the
 *   encoder, which reads only the lead, so its order among them is noise and runs counter to
 *   the town, names and date the words match), it counts less.
 * - proximity: exp(-|days apart| / days) when both are dated: one event is reported within days.
 * - topics: how much the two topic sets overlap, topics sharing words counting partly
 *   (topic-similarity.ts), noise topics left out. Without weights from topic counts on purpose:
 *   those would make every list depend on every article's topics, and a cached list could then
 *   not be kept exactly (core/cache/list-invalidation.ts).
 * - boost: a candidate with any boosted topic.
 * - recency: -(1 - 2^(-age / half-life)), age from `nowMs`; undated candidates are not decayed.
 */
export function fuseCandidates(pool: readonly PoolCandidate[], context: FusionContext): FusedCandidate[] {
  const raw = (scores: number[]) => (context.standardize ? standardize(scores) : scores);
  const dense = raw(pool.map((candidate) => candidate.denseScore));
  const lexical = raw(pool.map((candidate) => candidate.lexicalScore));
  const denseWeight =
    context.standardize && context.agreement !== null ? context.weights.dense * denseAgreement(dense, lexical, context.agreement) : context.weights.dense;
  const queryTopics = context.topics === null ? null : topicSetVector(signalTopics(context.query.topics, context.topics.noise));
  const fused = pool.map((candidate, index): FusedCandidate => {
    const parts: ScoreParts = {
      dense: denseWeight === 0 ? 0 : denseWeight * dense[index]!,
      lexical: context.weights.lexical === 0 ? 0 : context.weights.lexical * lexical[index]!,
      proximity: proximityPart(context, candidate.entry),
      topics: queryTopics === null ? 0 : context.topics!.weight * topicSetSimilarity(queryTopics, signalTopics(candidate.entry.topics, context.topics!.noise)),
      boost: context.boost !== null && candidate.entry.topics.some((topic) => context.boost!.topics.has(topic)) ? context.boost.weight : 0,
      recency: recencyPart(context, candidate.entry),
    };
    return { ...candidate, parts, score: sumParts(parts) };
  });
  return fused.sort(byScore);
}

/** The score as the sum of its parts, in one fixed order (so an explanation adds up exactly). */
export function sumParts(parts: ScoreParts): number {
  return parts.dense + parts.lexical + parts.proximity + parts.topics + parts.boost + parts.recency;
}

export function byScore(a: { score: number; entry: CatalogEntry }, b: { score: number; entry: CatalogEntry }): number {
  return b.score - a.score || (a.entry.id < b.entry.id ? -1 : a.entry.id > b.entry.id ? 1 : 0);
}

/**
 * The share of the dense weight kept, from the Pearson correlation r of the two channels' z-scores
 * over the pool: 1 at r >= `full`, 0 at r <= `none`, linear between. A channel that does not vary
 * (no shared term at all) gives r = 0: no evidence either way.
 *
 * @example
 *   denseAgreement(standardize(dense), standardize(lexical), { none: -0.5, full: 0 }) // 1 when they agree, 0.4 at r = -0.3
 */
export function denseAgreement(dense: readonly number[], lexical: readonly number[], agreement: { none: number; full: number }): number {
  if (dense.length === 0) return 1;
  let correlation = 0;
  for (let i = 0; i < dense.length; i++) correlation += dense[i]! * lexical[i]!;
  correlation /= dense.length;
  return Math.min(1, Math.max(0, (correlation - agreement.none) / (agreement.full - agreement.none)));
}

/** (x - mean) / standard deviation over the values; all zero when they do not vary. */
export function standardize(values: readonly number[]): number[] {
  if (values.length === 0) return [];
  const mean = values.reduce((sum, value) => sum + value, 0) / values.length;
  const variance = values.reduce((sum, value) => sum + (value - mean) ** 2, 0) / values.length;
  const deviation = Math.sqrt(variance);
  return values.map((value) => (deviation < 1e-12 ? 0 : (value - mean) / deviation));
}

function proximityPart(context: FusionContext, entry: CatalogEntry): number {
  const { proximity, query } = context;
  if (proximity === null || query.publishedMs === null || entry.publishedMs === null) return 0;
  return proximity.weight * Math.exp(-Math.abs(entry.publishedMs - query.publishedMs) / dayMs / proximity.days);
}

function recencyPart(context: FusionContext, entry: CatalogEntry): number {
  const { recency } = context;
  if (recency === null || entry.publishedMs === null) return 0;
  const ageDays = Math.max(0, (recency.nowMs - entry.publishedMs) / dayMs);
  return -recency.weight * (1 - 2 ** (-ageDays / recency.halfLifeDays));
}

/** The topics that count as a signal: noise topics dropped. */
function signalTopics(topics: readonly string[], noise: ReadonlySet<string>): readonly string[] {
  return noise.size === 0 ? topics : topics.filter((topic) => !noise.has(topic));
}
