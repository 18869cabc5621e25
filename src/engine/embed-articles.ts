import type { Article } from "../core/article.ts";
import { hashEmbedInput } from "../core/content-hash.ts";
import { buildEmbedPassages, type PassagePlan, passageLimits } from "../core/embed-text.ts";
import { normalizeInPlace } from "../core/vector-math.ts";
import type { Embedder, EmbedRole } from "../embed/embedder.ts";
import { type PassageVectorCache, passageKey } from "../embed/passage-vector-cache.ts";

/**
 * What the model reads of an article (its passages, core/embed-text.ts) and the hash of that
 * input under a model: equal hashes mean the stored vector is current. Shared by the write path
 * and `kindred reindex`, so both give an article the same vector and hash.
 */
export function prepareEmbedInput(
  modelId: string,
  article: Pick<Article, "title" | "body">,
  plan: PassagePlan = "selected",
): { passages: string[]; embedHash: string } {
  const passages = buildEmbedPassages(article, plan);
  return { passages, embedHash: embedHashOf(modelId, passages) };
}

/**
 * The hash of the model input: one passage hashes as its text alone, so short articles keep their
 * version 1 hashes; several hash with the lead's weight in their mean too, so a vector stored
 * before the lead was weighted is seen as stale and made again on the next write or index (from
 * the passage cache, without the model, where it holds the passages).
 */
export function embedHashOf(modelId: string, passages: readonly string[]): string {
  const input = passages.join("\u0000");
  return hashEmbedInput(modelId, passages.length < 2 ? input : `${input}\u0000lead x${passageLimits.leadWeight}`);
}

/**
 * Embeds several articles' passages in one call (the embedder batches them) and returns one
 * vector per article (`articleVector`).
 */
export async function embedPassageGroups(embedder: Embedder, groups: readonly (readonly string[])[], role: EmbedRole): Promise<Float32Array[]> {
  const embedded = await embedder.embed(groups.flat(), role);
  let next = 0;
  return groups.map((passages) => {
    const vector = articleVector(embedded.slice(next, next + passages.length));
    next += passages.length;
    return vector;
  });
}

/**
 * `embedPassageGroups` through a passage cache: passages whose vectors the cache knows (under
 * this model) are not embedded again and each distinct passage is embedded once. Returns each
 * article's passages with their keys too, for the caller to remember once the articles are
 * stored (remembering before would leave passages of a refused write behind).
 */
export async function embedPassageGroupsCached(
  embedder: Embedder,
  groups: readonly (readonly string[])[],
  cache: PassageVectorCache,
): Promise<{ vectors: Float32Array[]; passages: { key: string; vector: Float32Array }[][] }> {
  const keys = groups.map((passages) => passages.map((text) => passageKey(embedder.modelId, text)));
  const known = cache.find(keys.flat());
  const missing = new Map<string, string>();
  groups.forEach((passages, group) => passages.forEach((text, index) => known.has(keys[group]![index]!) || missing.set(keys[group]![index]!, text)));
  const embedded = await embedder.embed([...missing.values()], "passage");
  [...missing.keys()].forEach((key, index) => known.set(key, embedded[index]!));
  const passages = keys.map((groupKeys) => groupKeys.map((key) => ({ key, vector: known.get(key)! })));
  return { vectors: passages.map((group) => articleVector(group.map((passage) => passage.vector))), passages };
}

/** An article's vector from its passages' (the lead's first): their normalised mean, the lead counted `passageLimits.leadWeight` times. */
export function articleVector(passageVectors: readonly Float32Array[]): Float32Array {
  const sum = Float32Array.from(passageVectors[0]!, (value) => value * passageLimits.leadWeight);
  for (const vector of passageVectors.slice(1)) for (let i = 0; i < sum.length; i++) sum[i]! += vector[i]!;
  return normalizeInPlace(sum);
}

/**
 * Provides the embedder of a model when first needed: serving by id never loads the model. The
 * model is the one the store pins, which `kindred reindex` may switch while the engine runs.
 */
export type EmbedderProvider = (modelId: string) => Promise<Embedder>;
