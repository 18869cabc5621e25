import { hashEmbedInput } from "../core/content-hash.ts";

/**
 * Passage vectors already computed, keyed by the hash of the passage text and the model id
 * (`passageKey`), so the write path never embeds a passage twice: an edit of one paragraph
 * re-embeds only the passages that changed, and a copy of a wire story reuses the original's.
 * Entries belong to articles, so the cache holds no more than the articles' current passages
 * (an article's old passages go when it is written again, all of them when it is deleted) and
 * only the model the index uses.
 *
 * @example
 *   const known = cache.find([passageKey("google/use-lite", "Storms hit the coast")]);
 */
export interface PassageVectorCache {
  /** The vectors known for these keys (absent keys are missing from the map). */
  find(keys: readonly string[]): Map<string, Float32Array>;
  /**
   * Records each article's current passages under `modelId`, replacing what it held before;
   * entries of any other model are dropped (the index has moved to this one).
   */
  remember(modelId: string, articles: readonly { articleId: string; passages: readonly { key: string; vector: Float32Array }[] }[]): void;
}

/** The cache key of a passage under a model. */
export function passageKey(modelId: string, text: string): string {
  return hashEmbedInput(modelId, `passage\u0000${text}`);
}
