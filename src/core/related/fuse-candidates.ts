import type { CatalogEntry } from "./catalog-entry.ts";
import { dateProximity } from "./date-proximity.ts";
import type { SharedNeighbourOptions } from "./kept-neighbourhoods.ts";
import { lexicalEvidencePart } from "./lexical-evidence.ts";
import { type TopicSetVector, topicSetSimilarityTo, topicSetSimilarityToKeys, topicSetVector } from "./topic-similarity.ts";

/** A candidate in the pool with each channel's raw score. */
export interface PoolCandidate {
  entry: CatalogEntry;
  /** Inner product with the (possibly feedback-expanded) query vector; what the dense part fuses. */
  denseScore: number;
  /** Whole-document TF-IDF cosine with the query (engine/document-index.ts; 0 when they share no term). */
  lexicalScore: number;
  /** How many scoring content terms (stop words left out) it shares with the query, which the cosine rests on (absent: not counted, taken as enough). */
  sharedTerms?: number;
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
  /** How much of its kept neighbourhood is the query's (kept-neighbourhoods.ts); 0 until `PoolFusion.addNeighbourParts`. */
  neighbours: number;
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
  /**
   * The whole-document cosine's own level as same-event evidence (`lexicalEvidencePart`), added
   * to the lexical part, for a pair sharing at least `minSharedTerms` terms; where both are dated,
   * times their date proximity over `days`. Absent or null: off. Only with `standardize`.
   */
  lexicalEvidence?: { weight: number; from: number; full: number; minSharedTerms: number; days: number } | null;
  /**
   * Shared neighbours (kept-neighbourhoods.ts): the best `candidates` given their part by the
   * engine from their kept lists once the pool is fused (`PoolFusion.addNeighbourParts`).
   * Absent or null: off. Only with `standardize`.
   */
  sharedNeighbours?: (SharedNeighbourOptions & { candidates: number }) | null;
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
 *   With `lexicalEvidence`, a pair sharing enough terms adds the cosine's own level to the lexical
 *   part (`lexicalEvidencePart`), times their date proximity where both are dated: a z-score says
 *   a candidate stands out in this pool, not that it shares the query's event, which two reports
 *   of one event show by a cosine few pairs reach, published days apart at most.
 * - proximity: exp(-|days apart| / days) when both are dated: one event is reported within days.
 * - topics: how much the two topic sets overlap, topics sharing words counting partly
 *   (topic-similarity.ts), noise topics left out. Without weights from topic counts on purpose:
 *   those would make every list depend on every article's topics, and a cached list could then
 *   not be kept exactly (core/cache/list-invalidation.ts).
 * - boost: a candidate with any boosted topic.
 * - recency: -(1 - 2^(-age / half-life)), age from `nowMs`; undated candidates are not decayed.
 * - neighbours: 0 here; the engine adds it to the best candidates once the pool is fused
 *   (`PoolFusion.addNeighbourParts`, kept-neighbourhoods.ts).
 */
export function fuseCandidates(pool: readonly PoolCandidate[], context: FusionContext): FusedCandidate[] {
  const fusion = new PoolFusion(
    pool.map((candidate) => candidate.entry),
    Float64Array.from(pool, (candidate) => candidate.lexicalScore),
    context,
    Float64Array.from(pool, (candidate) => candidate.sharedTerms ?? Number.POSITIVE_INFINITY),
  );
  fusion.fuse(Float64Array.from(pool, (candidate) => candidate.denseScore));
  return fusion.ranked(Float64Array.from(pool, (candidate) => candidate.cosine));
}

/**
 * `fuseCandidates` for a pool fused more than once (the query, then its feedback probe): the
 * pool in columns, position by position, so a query makes no object per candidate until its
 * ranked list is wanted. The parts that do not depend on the dense scores (lexical, proximity,
 * topics, boost, recency) are worked out once, in the constructor; `fuse` takes each round's
 * dense scores. Same arithmetic, in the same order, as a fusion from scratch, so the scores are
 * the same numbers.
 *
 * @example
 *   const fusion = new PoolFusion(entries, lexicalScores, context);
 *   fusion.fuse(denseScores);
 *   fusion.best(3); // positions of the top three
 *   fusion.fuse(feedbackDenseScores);
 *   fusion.ranked(cosines); // FusedCandidate[], best first
 */
export class PoolFusion {
  readonly entries: readonly CatalogEntry[];
  /** The raw lexical scores, and the dense scores of the last `fuse`. */
  readonly lexicalScores: Float64Array;
  denseScores: Float64Array;
  /** The fused score per position, from the last `fuse`. */
  readonly scores: Float64Array;
  readonly #context: FusionContext;
  readonly #lexicalZ: ArrayLike<number>;
  readonly #dense: Float64Array;
  readonly #lexical: Float64Array;
  readonly #proximity: Float64Array;
  readonly #topics: Float64Array;
  readonly #boost: Float64Array;
  readonly #recency: Float64Array;
  readonly #neighbours: Float64Array;
  /** Counts `fuse` calls: a candidate's parts are those of the round it was made in. */
  #round = 0;

  /** `sharedTerms`: per position, the scoring terms the candidate shares with the query (`PoolCandidate.sharedTerms`; absent: not counted). */
  constructor(entries: readonly CatalogEntry[], lexicalScores: Float64Array, context: FusionContext, sharedTerms?: ArrayLike<number>) {
    const size = entries.length;
    this.entries = entries;
    this.lexicalScores = lexicalScores;
    this.denseScores = new Float64Array(size);
    this.scores = new Float64Array(size);
    this.#context = context;
    this.#lexicalZ = context.standardize ? standardize(lexicalScores) : lexicalScores;
    this.#dense = new Float64Array(size);
    this.#lexical = new Float64Array(size);
    this.#proximity = new Float64Array(size);
    this.#topics = new Float64Array(size);
    this.#boost = new Float64Array(size);
    this.#recency = new Float64Array(size);
    this.#neighbours = new Float64Array(size);
    const queryTopics = context.topics === null ? null : topicSetVector(signalTopics(context.query.topics, context.topics.noise));
    const lexicalWeight = context.weights.lexical;
    for (let i = 0; i < size; i++) {
      const entry = entries[i]!;
      this.#lexical[i] =
        (lexicalWeight === 0 ? 0 : lexicalWeight * this.#lexicalZ[i]!) +
        lexicalEvidencePart(context, entry, lexicalScores[i]!, sharedTerms?.[i] ?? Number.POSITIVE_INFINITY);
      this.#proximity[i] = proximityPart(context, entry);
      this.#topics[i] = queryTopics === null ? 0 : context.topics!.weight * topicSimilarityOf(queryTopics, entry, context.topics!.noise);
      this.#boost[i] = context.boost !== null && entry.topics.some((topic) => context.boost!.topics.has(topic)) ? context.boost.weight : 0;
      this.#recency[i] = recencyPart(context, entry);
    }
  }

  get size(): number {
    return this.entries.length;
  }

  /** Fuses the pool with these dense scores (one per position): `scores` then holds each candidate's sum of parts. */
  fuse(denseScores: Float64Array): void {
    this.#round++;
    const context = this.#context;
    this.denseScores = denseScores;
    const dense = context.standardize ? standardize(denseScores) : denseScores;
    const denseWeight =
      context.standardize && context.agreement !== null
        ? context.weights.dense * denseAgreement(dense, this.#lexicalZ, context.agreement)
        : context.weights.dense;
    this.#neighbours.fill(0);
    for (let i = 0; i < this.entries.length; i++) {
      const densePart = denseWeight === 0 ? 0 : denseWeight * dense[i]!;
      this.#dense[i] = densePart;
      this.scores[i] = this.#partsBeforeNeighbours(i);
    }
  }

  /** The sum of a position's parts but the neighbours part, in sumParts' order, without the object. */
  #partsBeforeNeighbours(i: number): number {
    return this.#dense[i]! + this.#lexical[i]! + this.#proximity[i]! + this.#topics[i]! + this.#boost[i]! + this.#recency[i]!;
  }

  /**
   * Adds each position's shared-neighbour part (kept-neighbourhoods.ts) to its score, after the
   * last `fuse`: `parts[n]` is the part of `positions[n]`.
   */
  addNeighbourParts(positions: readonly number[], parts: ArrayLike<number>): void {
    for (let n = 0; n < positions.length; n++) {
      const position = positions[n]!;
      this.#neighbours[position] = parts[n]!;
      // sumParts' order: the neighbours part comes last.
      this.scores[position] = this.#partsBeforeNeighbours(position) + parts[n]!;
    }
  }

  /**
   * Positions best first: by score, then by id. A binary insertion sort with the comparison
   * written in: the order is total (ids differ), so any sort gives this one, and on a pool of a
   * hundred-odd a sort calling `#compare` spent most of its time in the calls.
   */
  order(): number[] {
    const size = this.entries.length;
    const sorted = new Int32Array(size);
    const scores = this.scores;
    const entries = this.entries;
    for (let i = 0; i < size; i++) {
      const score = scores[i]!;
      let low = 0;
      let high = i;
      while (low < high) {
        const middle = (low + high) >>> 1;
        const other = sorted[middle]!;
        const otherScore = scores[other]!;
        const before = otherScore > score || (otherScore === score && entries[other]!.id < entries[i]!.id);
        if (before) low = middle + 1;
        else high = middle;
      }
      sorted.copyWithin(low + 1, low, i);
      sorted[low] = i;
    }
    return Array.from(sorted);
  }

  /** The first `n` positions of `order()`, without sorting the rest. */
  best(n: number): number[] {
    const top: number[] = [];
    if (n <= 0) return top;
    for (let i = 0; i < this.entries.length; i++) {
      if (top.length === n && this.#compare(i, top[n - 1]!) >= 0) continue;
      let at = top.length < n ? top.length : n - 1;
      while (at > 0 && this.#compare(i, top[at - 1]!) < 0) at--;
      top.splice(at, 0, i);
      if (top.length > n) top.pop();
    }
    return top;
  }

  /** The candidate at a position as `fuseCandidates` gives it. */
  candidate(position: number, cosine: number): FusedCandidate {
    return new PooledCandidate(this, position, cosine, this.#round);
  }

  /** The parts of a position's score as the fusion of `round` left them (see PooledCandidate). */
  partsAt(position: number, round: number): ScoreParts {
    if (round !== this.#round) throw new Error("The pool was fused again after this candidate was made: its parts are gone.");
    return {
      dense: this.#dense[position]!,
      lexical: this.#lexical[position]!,
      proximity: this.#proximity[position]!,
      topics: this.#topics[position]!,
      boost: this.#boost[position]!,
      recency: this.#recency[position]!,
      neighbours: this.#neighbours[position]!,
    };
  }

  /** Every candidate, best first, with its cosine (one per position). */
  ranked(cosines: ArrayLike<number>): FusedCandidate[] {
    return this.order().map((position) => this.candidate(position, cosines[position]!));
  }

  /** `ranked`, each candidate made only once a caller asks for that far down the list. */
  rankedOnDemand(cosines: ArrayLike<number>): { length: number; first(count: number): FusedCandidate[] } {
    const order = this.order();
    const made: FusedCandidate[] = [];
    return {
      length: order.length,
      first: (count) => {
        for (let index = made.length; index < Math.min(count, order.length); index++) made.push(this.candidate(order[index]!, cosines[order[index]!]!));
        return made.slice(0, count);
      },
    };
  }

  // Answers -1, 0 or 1 (the order of `scores[b] - scores[a]`, then the ids): a comparator that
  // returns the difference of two doubles allocates a heap number on every call of the sort.
  readonly #compare = (a: number, b: number): number => {
    const sa = this.scores[a]!;
    const sb = this.scores[b]!;
    if (sb > sa) return 1;
    if (sb < sa) return -1;
    const ida = this.entries[a]!.id;
    const idb = this.entries[b]!.id;
    return ida < idb ? -1 : ida > idb ? 1 : 0;
  };
}

/**
 * A pool member as `fuseCandidates` gives it, its scores copied out; its parts are read from the
 * fusion only when asked for (an explanation asks for ten; a list's fold window makes sixty
 * candidates, whose six parts each were garbage). Asking after the pool was fused again throws.
 */
class PooledCandidate implements FusedCandidate {
  readonly entry: CatalogEntry;
  readonly denseScore: number;
  readonly lexicalScore: number;
  readonly cosine: number;
  readonly score: number;
  readonly #fusion: PoolFusion;
  readonly #position: number;
  readonly #round: number;

  constructor(fusion: PoolFusion, position: number, cosine: number, round: number) {
    this.entry = fusion.entries[position]!;
    this.denseScore = fusion.denseScores[position]!;
    this.lexicalScore = fusion.lexicalScores[position]!;
    this.cosine = cosine;
    this.score = fusion.scores[position]!;
    this.#fusion = fusion;
    this.#position = position;
    this.#round = round;
  }

  get parts(): ScoreParts {
    return this.#fusion.partsAt(this.#position, this.#round);
  }
}

/** The score as the sum of its parts, in one fixed order (so an explanation adds up exactly). */
export function sumParts(parts: ScoreParts): number {
  return parts.dense + parts.lexical + parts.proximity + parts.topics + parts.boost + parts.recency + parts.neighbours;
}

/**
 * The share of the dense weight kept, from the Pearson correlation r of the two channels' z-scores
 * over the pool: 1 at r >= `full`, 0 at r <= `none`, linear between. A channel that does not vary
 * (no shared term at all) gives r = 0: no evidence either way.
 *
 * @example
 *   denseAgreement(standardize(dense), standardize(lexical), { none: -0.5, full: 0 }) // 1 when they agree, 0.4 at r = -0.3
 */
export function denseAgreement(dense: ArrayLike<number>, lexical: ArrayLike<number>, agreement: { none: number; full: number }): number {
  if (dense.length === 0) return 1;
  let correlation = 0;
  for (let i = 0; i < dense.length; i++) correlation += dense[i]! * lexical[i]!;
  correlation /= dense.length;
  return Math.min(1, Math.max(0, (correlation - agreement.none) / (agreement.full - agreement.none)));
}

/** (x - mean) / standard deviation over the values; all zero when they do not vary. */
export function standardize(values: Float64Array): Float64Array {
  const n = values.length;
  const out = new Float64Array(n);
  if (n === 0) return out;
  const { mean, deviation } = meanAndDeviation(values);
  for (let i = 0; i < n; i++) out[i] = deviation < 1e-12 ? 0 : (values[i]! - mean) / deviation;
  return out;
}

/** The mean and the (population) standard deviation of the values; both 0 for none. */
export function meanAndDeviation(values: ArrayLike<number>): { mean: number; deviation: number } {
  const n = values.length;
  if (n === 0) return { mean: 0, deviation: 0 };
  // Sums in index order, as a reduce takes them.
  let sum = 0;
  for (let i = 0; i < n; i++) sum += values[i]!;
  const mean = sum / n;
  let squares = 0;
  for (let i = 0; i < n; i++) squares += (values[i]! - mean) ** 2;
  return { mean, deviation: Math.sqrt(squares / n) };
}

function proximityPart(context: FusionContext, entry: CatalogEntry): number {
  const { proximity, query } = context;
  if (proximity === null || query.publishedMs === null || entry.publishedMs === null) return 0;
  return proximity.weight * dateProximity(query.publishedMs, entry.publishedMs, proximity.days);
}

function recencyPart(context: FusionContext, entry: CatalogEntry): number {
  const { recency } = context;
  if (recency === null || entry.publishedMs === null) return 0;
  const ageDays = Math.max(0, (recency.nowMs - entry.publishedMs) / dayMs);
  return -recency.weight * (1 - 2 ** (-ageDays / recency.halfLifeDays));
}

/** A candidate's topic part before its weight: from the catalog's packed keys when no topic is noise (they are packed without dropping any). */
function topicSimilarityOf(query: TopicSetVector, entry: CatalogEntry, noise: ReadonlySet<string>): number {
  return noise.size === 0 && entry.topicKeys !== undefined
    ? topicSetSimilarityToKeys(query, entry.topicKeys)
    : topicSetSimilarityTo(query, entry.topics, noise);
}

/** The topics that count as a signal: noise topics dropped. */
function signalTopics(topics: readonly string[], noise: ReadonlySet<string>): readonly string[] {
  return noise.size === 0 ? topics : topics.filter((topic) => !noise.has(topic));
}
