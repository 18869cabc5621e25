import type { CatalogEntry } from "../core/related/catalog-entry.ts";
import { diversify } from "../core/related/diversify-results.ts";
import { type Explanation, explainResult } from "../core/related/explain-result.ts";
import { feedbackVector } from "../core/related/feedback-vector.ts";
import { foldAndFloor } from "../core/related/fold-and-floor.ts";
import { PoolFusion } from "../core/related/fuse-candidates.ts";
import { fusionContextFor } from "../core/related/fusion-context.ts";
import { keptNeighbourParts } from "../core/related/kept-neighbourhoods.ts";
import { evidenceCanCount } from "../core/related/lexical-evidence.ts";
import type { LexicalProfile } from "../core/related/lexical-profile.ts";
import { type QueryTerm, selectQueryTerms } from "../core/related/query-terms.ts";
import { defaultRankingOptions, fusionConstants, lexicalWeightFor, type RankingOptions } from "../core/related/ranking-options.ts";
import type { QueryExclusions, RelatedFilters } from "../core/related/related-filters.ts";
import { dot } from "../core/vector-math.ts";
import type { ArticleStore } from "../store/article-store.ts";
import { CandidateVectors } from "./candidate-vectors.ts";
import type { DocumentIndex, SparseTerms } from "./document-index.ts";
import { createQueryFilter } from "./label-filter.ts";
import { type CandidateSearch, type SearchIndexes, type SearchPlan, searchCandidates } from "./search-candidates.ts";

/** The query article (stored or a draft) as the ranking sees it. */
export interface RelatedQueryArticle {
  /** Null for a draft that is not stored. */
  label: number | null;
  vector: Float32Array | null;
  /**
   * False when the model cannot read the query's language: the hybrid then ranks by words alone
   * (`dense` mode still uses the vector, as asked).
   */
  modelReadsIt: boolean;
  /** Its lexical profile, read only when an explanation needs its terms (no SQL on the usual query path). */
  profile: () => LexicalProfile;
  /** Tokens in its title and body (how much of it the encoder's window leaves unread). */
  words: number;
  /** Its whole-document vector in the lexical channel (engine/document-index.ts). */
  documentTerms: SparseTerms;
  publishedMs: number | null;
  topics: readonly string[];
  textHash: string | null;
  signature: Uint32Array | null;
}

export interface HybridRequest {
  k: number;
  filters: RelatedFilters;
  ranking?: Partial<RankingOptions>;
}

/** One related result: the article, its fused score with the raw channel scores, and its folded copies. */
export interface RelatedResult {
  entry: CatalogEntry;
  /** The fused score (a sum of parts in standard deviations over the candidate pool; see fuse-candidates.ts). */
  score: number;
  cosine: number;
  copies: CatalogEntry[];
  explanation?: Explanation;
}

export interface HybridAnswer {
  results: RelatedResult[];
  /** Copies folded into the results, and copies of the query article dropped. */
  foldedCopies: number;
  plan: SearchPlan;
  mode: RankingOptions["mode"];
  /** What the list depended on, for the result cache (core/cache/list-invalidation.ts). */
  window: { labels: number[]; floorScore: number };
  lexicalTerms: ReadonlySet<string> | null;
}

/** What the ranking reads from the store: the lexical channel. */
export type LexicalSource = Pick<ArticleStore, "getTermStatistics" | "searchLexical" | "getLexicalProfile">;

export interface RankingEnvironment {
  indexes: SearchIndexes;
  /** The whole-document lexical channel. */
  documents: DocumentIndex;
  lexicon: LexicalSource;
  noiseTopics: ReadonlySet<string>;
  nowMs: number;
  /** The collection's mean vector, which the hybrid centres dense scores on (null: none). */
  centroid?: { vector: Float32Array; normSquared: number } | null;
  /** False: no shared-neighbour part (a list made to be kept is ranked without it). */
  neighbourParts?: boolean;
}

/**
 * The related query: candidates from the dense channel (the vector index, filters
 * inside the search) and the lexical channel (BM25 of the query's "more like this" terms,
 * filters applied after), fused into one score with the same-story signals, one round of
 * pseudo-relevance feedback on the dense side, then copies folded, optional MMR, and the cut
 * to k. This file fetches candidates and runs the steps in order; each step's decision is a
 * pure function in src/core/related.
 */
export function findRelatedArticles(
  environment: RankingEnvironment,
  query: RelatedQueryArticle,
  request: HybridRequest,
  exclusions: QueryExclusions,
): HybridAnswer {
  const ranking = rankRelatedArticles(environment, query, request, exclusions);
  let step = ranking.next();
  while (!step.done) step = ranking.next(searchCandidates(environment.indexes, step.value));
  return step.value;
}

/** Finds a dense channel's candidates where the graph is not in memory (pgvector mode: in PostgreSQL). */
export type DenseSearch = (indexes: SearchIndexes, search: CandidateSearch) => Promise<DenseCandidates>;
type DenseCandidates = ReturnType<typeof searchCandidates>;

/**
 * The same related query as `findRelatedArticles`, with the dense channel's searches made by
 * `search` (which may ask a database) instead of the in-memory graph: the ranking is one
 * generator that yields each search it needs, so both drivers run the same code.
 */
export async function findRelatedArticlesWith(
  search: DenseSearch,
  environment: RankingEnvironment,
  query: RelatedQueryArticle,
  request: HybridRequest,
  exclusions: QueryExclusions,
): Promise<HybridAnswer> {
  const ranking = rankRelatedArticles(environment, query, request, exclusions);
  let step = ranking.next();
  while (!step.done) step = ranking.next(await search(environment.indexes, step.value));
  return step.value;
}

function* rankRelatedArticles(
  environment: RankingEnvironment,
  query: RelatedQueryArticle,
  request: HybridRequest,
  exclusions: QueryExclusions,
): Generator<CandidateSearch, HybridAnswer, DenseCandidates> {
  const ranking: RankingOptions = { ...defaultRankingOptions, ...request.ranking };
  // A single channel needs only a window a little wider than k (what copies may fold away);
  // the hybrid pools 100 dense candidates, since z-scores need a population to be measured on.
  let poolSize =
    ranking.mode === "hybrid" ? Math.max(fusionConstants.densePool, 2 * request.k + fusionConstants.foldWindowExtra) : request.k + Math.max(10, request.k);
  for (;;) {
    const attempt = yield* rankPool(environment, query, request, exclusions, ranking, poolSize);
    if (attempt.groups >= request.k || !attempt.saturated) return attempt.answer;
    poolSize *= 2; // copies folded away more than the window held: widen it until k survive or nothing more matches
  }
}

function* rankPool(
  environment: RankingEnvironment,
  query: RelatedQueryArticle,
  request: HybridRequest,
  exclusions: QueryExclusions,
  ranking: RankingOptions,
  poolSize: number,
): Generator<CandidateSearch, { answer: HybridAnswer; saturated: boolean; groups: number }, DenseCandidates> {
  const { indexes, lexicon } = environment;
  const { accept, acceptLabel, rejectedLabels } = createQueryFilter(indexes.catalog, request.filters, exclusions);
  const useDense = query.vector !== null && (ranking.mode === "dense" || (ranking.mode === "hybrid" && query.modelReadsIt));
  const useLexical = ranking.mode !== "dense" || query.vector === null;
  const hybrid = useDense && useLexical;

  // The pool in columns: labels and entries by position, in the order candidates joined.
  const poolLabels: number[] = [];
  const poolEntries: CatalogEntry[] = [];
  const inPool = new Set<number>();
  const join = (label: number, entry: CatalogEntry) => {
    if (inPool.has(label)) return;
    inPool.add(label);
    poolLabels.push(label);
    poolEntries.push(entry);
  };
  let plan: SearchPlan = "lexical";
  let floorScore = Infinity;
  let saturated = false;
  if (useDense) {
    // Yields the search it needs (the driver runs it, in memory or in PostgreSQL) and takes its
    // answer. Written inline: a generator function made per list (a closure over this pool) gets
    // its own prototype and hidden class, which the young-generation collector treats as old and
    // live until a full collection, so every list's pool outlived the list and was promoted
    // (docs/performance.md, "What kept a computed list's pool alive").
    const search: DenseCandidates = yield {
      query: query.vector!,
      accept,
      acceptLabel,
      ...(rejectedLabels === undefined ? {} : { rejectedLabels }),
      filters: request.filters,
      want: poolSize,
      queryLabel: query.label,
    };
    let floor = Infinity;
    for (const { label, score } of search.neighbors) {
      floor = Math.min(floor, score);
      // An asynchronous search (pgvector mode) may come back after a change removed a neighbour.
      const entry = indexes.catalog.get(label);
      if (entry !== undefined) join(label, entry);
    }
    const full = search.neighbors.length >= poolSize;
    saturated ||= full;
    plan = search.plan;
    floorScore = full ? floor : -Infinity;
  }

  let queryTerms: QueryTerm[] = [];
  let lexicalTerms: ReadonlySet<string> | null = null;
  let lexicalScores: Float64Array | null = null;
  let sharedTerms: Float64Array | null = null;
  if (useLexical) {
    // Whole-document cosine (engine/document-index.ts): every pool member gets its exact score, and the best
    // matches by it join the pool.
    const { documents } = environment;
    lexicalTerms = documents.usableStems(query.documentTerms);
    const wanted = hybrid ? fusionConstants.lexicalPool : poolSize;
    const hits = documents.search(query.documentTerms, wanted, acceptLabel);
    const hitScores = new Map<number, number>();
    for (const hit of hits) {
      join(hit.label, indexes.catalog.get(hit.label)!);
      hitScores.set(hit.label, hit.score);
    }
    if (!hybrid) saturated ||= hits.length >= wanted;
    // Each pool member's cosine once (the feedback round rescores the same pool); the search's own
    // hits come with it, from the same computation.
    const score = documents.scorer(query.documentTerms);
    lexicalScores = new Float64Array(poolLabels.length);
    for (let position = 0; position < poolLabels.length; position++) {
      const label = poolLabels[position]!;
      lexicalScores[position] = hitScores.get(label) ?? score(label);
    }
    if (ranking.explain) {
      const profile = query.profile();
      queryTerms = selectQueryTerms(profile, lexicon.getTermStatistics(profile.terms.map((term) => term.stem)));
    }
  }

  // The hybrid fuses centred cosines (centered-cosine.ts); a single dense channel keeps the plain cosine.
  const centroid = hybrid ? (environment.centroid ?? null) : null;
  const vectors = new CandidateVectors(indexes.exact, query.vector, centroid, poolLabels);
  const weights = { dense: useDense ? 1 : 0, lexical: useLexical ? (hybrid ? lexicalWeightFor(query.words) : 1) : 0 };
  const context = fusionContextFor(
    { publishedMs: query.publishedMs, topics: query.topics, words: query.words, noiseTopics: environment.noiseTopics, nowMs: environment.nowMs },
    ranking,
    weights,
    hybrid,
  );
  if (lexicalScores !== null) {
    // What each cosine rests on: the same-event evidence part counts only where enough terms are
    // shared, and only for a cosine above its threshold (elsewhere the part is 0 whatever the count).
    const shared = environment.documents.sharedTermCounter(query.documentTerms);
    sharedTerms = new Float64Array(poolLabels.length);
    for (let position = 0; position < poolLabels.length; position++) {
      if (evidenceCanCount(context, lexicalScores[position]!)) sharedTerms[position] = shared(poolLabels[position]!);
    }
  }
  const fusion = new PoolFusion(poolEntries, lexicalScores ?? new Float64Array(poolLabels.length), context, sharedTerms ?? new Float64Array(poolLabels.length));
  const queryDenseScores = vectors.denseScores(useDense ? query.vector : null);
  fusion.fuse(queryDenseScores);

  // Feedback (core/related/feedback-vector.ts): the query vector moves toward the fused top 3 and
  // the same pool is scored and fused again. No second graph search for the moved vector: the
  // articles it would add rank as well from the first pool, and that search was most of a
  // computed list's time (docs/evaluation.md, "Feedback without a second search").
  if (hybrid && fusion.size > 0) {
    const top = fusion
      .best(fusionConstants.feedbackArticles)
      .map((position) => ({ score: fusion.scores[position]!, vector: indexes.exact.getVector(poolLabels[position]!)! }));
    fusion.fuse(vectors.denseScores(feedbackVector(query.vector!, top)));
    // Kept neighbourhoods (core/related/kept-neighbourhoods.ts): a candidate whose own kept list
    // is the query's first candidates gains.
    const options = context.sharedNeighbours;
    if (environment.neighbourParts !== false && options != null) {
      const { documents } = environment;
      const best = fusion.best(options.candidates);
      const first = best
        .slice(0, options.neighbours)
        .filter((position) => fusion.scores[position]! >= options.minScore)
        .map((position) => poolLabels[position]!);
      const parts = keptNeighbourParts(
        { label: query.label ?? null, first },
        best.map((position) => poolLabels[position]!),
        (label) => documents.keptList(label),
        (label) => indexes.catalog.get(label) !== undefined,
        options.weight,
      );
      fusion.addNeighbourParts(best, parts);
    }
  }
  const ranked = fusion.rankedOnDemand(vectors.cosines);

  // Copies folded and the cosine floor applied (core/related/fold-and-floor.ts); the floor only
  // where the model reads the query.
  const { groups, shown, copiesOfQuery } = foldAndFloor(
    ranked,
    {
      k: request.k,
      windowExtra: fusionConstants.foldWindowExtra,
      diversity: ranking.diversity,
      foldDuplicates: ranking.foldDuplicates,
      minCosine: ranking.minCosine !== null && query.vector !== null && query.modelReadsIt ? ranking.minCosine : null,
    },
    { textHash: query.textHash, signature: query.signature },
  );
  const chosen = diversify(
    shown,
    request.k,
    ranking.diversity,
    (group) => group.shown.score,
    (a, b) => {
      const va = indexes.exact.getVector(a.shown.entry.label);
      const vb = indexes.exact.getVector(b.shown.entry.label);
      return va === null || vb === null ? 0 : dot(va, vb);
    },
  );
  const explainContext = { queryTopics: query.topics, noiseTopics: environment.noiseTopics, boostTopics: ranking.boostTopics, queryTerms };
  const results = chosen.map(
    ({ shown, copies }): RelatedResult => ({
      entry: shown.entry,
      score: shown.score,
      cosine: shown.cosine,
      copies: copies.map((copy) => copy.entry),
      ...(ranking.explain
        ? {
            explanation: explainResult(
              shown,
              copies.map((copy) => copy.entry),
              lexicon.getLexicalProfile(shown.entry.label),
              explainContext,
            ),
          }
        : {}),
    }),
  );
  const answer: HybridAnswer = {
    results,
    foldedCopies: copiesOfQuery + results.reduce((sum, result) => sum + result.copies.length, 0),
    plan,
    mode: ranking.mode,
    window: { labels: poolLabels, floorScore },
    lexicalTerms,
  };
  return { answer, saturated, groups: groups.length };
}
