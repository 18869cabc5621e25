import type { FusionContext, PoolFusion } from "../core/related/fuse-candidates.ts";
import { pairScore, poolScale, sharedNeighbourParts } from "../core/related/shared-neighbours.ts";
import type { CandidateVectors } from "./candidate-vectors.ts";
import type { DocumentIndex } from "./document-index.ts";

/** A fused pool as the ranking holds it, and what the query's own scores were. */
export interface FusedPool {
  fusion: PoolFusion;
  context: FusionContext;
  labels: readonly number[];
  vectors: CandidateVectors;
  /** The query's dense scores of its first fusion (before feedback), by position. */
  queryDenseScores: Float64Array;
  /** The dense weight of that fusion. */
  queryDenseWeight: number;
  lexicalScores: Float64Array;
  /** The scoring terms each member shares with the query, where the evidence part counted them (else 0). */
  sharedTerms: Float64Array;
  queryPublishedMs: number | null;
}

/**
 * Gives the pool's best candidates their shared-neighbour part (core/related/shared-neighbours.ts):
 * scores them against each other on the pool's scale (the embeddings' centred cosines, the
 * whole-document cosines, their dates), then adds each one's part to its fused score. A no-op
 * when the context has the part off.
 */
export function addSharedNeighbourParts(pool: FusedPool, documents: DocumentIndex): void {
  const { fusion, context, labels } = pool;
  const options = context.sharedNeighbours;
  if (options == null || fusion.size < 2) return;
  const top = fusion.best(options.candidates);
  const scale = poolScale(pool.queryDenseScores, pool.lexicalScores, { dense: pool.queryDenseWeight, lexical: context.weights.lexical });
  // Member 0 is the query, member i the candidate at top[i - 1].
  const size = top.length + 1;
  const pairs = new Float64Array(size * size);
  const dense = pool.vectors.scoresAmong(top);
  const lexical = documents.cosinesAmong(top.map((position) => labels[position]!));
  const published = (member: number) => (member === 0 ? pool.queryPublishedMs : fusion.entries[top[member - 1]!]!.publishedMs);
  for (let a = 1; a < size; a++) {
    const position = top[a - 1]!;
    pairs[a * size] = pairScore(context, scale, {
      dense: pool.queryDenseScores[position]!,
      lexical: pool.lexicalScores[position]!,
      sharedTerms: pool.sharedTerms[position]!,
      publishedMs: published(a),
      otherPublishedMs: pool.queryPublishedMs,
    });
    for (let b = a + 1; b < size; b++) {
      const among = (a - 1) * top.length + (b - 1);
      const score = pairScore(context, scale, {
        dense: dense[among]!,
        lexical: lexical.cosines[among]!,
        sharedTerms: lexical.sharedTerms[among]!,
        publishedMs: published(a),
        otherPublishedMs: published(b),
      });
      pairs[a * size + b] = score;
      pairs[b * size + a] = score;
    }
  }
  const fusedScores = top.map((position) => fusion.scores[position]!);
  fusion.addNeighbourParts(top, sharedNeighbourParts(pairs, size, fusedScores, options));
}
