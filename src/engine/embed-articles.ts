import type { Article } from "../core/article.ts";
import { hashEmbedInput } from "../core/content-hash.ts";
import { buildEmbedPassages, type PassagePlan } from "../core/embed-text.ts";
import { normalizeInPlace } from "../core/vector-math.ts";
import type { Embedder, EmbedRole } from "../embed/embedder.ts";

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

/** The hash of the model input: one passage hashes as its text alone, so short articles keep their version 1 hashes. */
export function embedHashOf(modelId: string, passages: readonly string[]): string {
  return hashEmbedInput(modelId, passages.join("\u0000"));
}

/**
 * Embeds several articles' passages in one call (the embedder batches them) and returns one
 * vector per article: the normalised mean of its passages' vectors.
 */
export async function embedPassageGroups(embedder: Embedder, groups: readonly (readonly string[])[], role: EmbedRole): Promise<Float32Array[]> {
  const embedded = await embedder.embed(groups.flat(), role);
  let next = 0;
  return groups.map((passages) => {
    const vector = meanVector(embedded.slice(next, next + passages.length));
    next += passages.length;
    return vector;
  });
}

/** The normalised mean of passage vectors: the article's vector. */
export function meanVector(vectors: readonly Float32Array[]): Float32Array {
  const mean = Float32Array.from(vectors[0]!);
  for (const vector of vectors.slice(1)) for (let i = 0; i < mean.length; i++) mean[i]! += vector[i]!;
  return normalizeInPlace(mean);
}

/**
 * Provides the embedder of a model when first needed: serving by id never loads the model. The
 * model is the one the store pins, which `kindred reindex` may switch while the engine runs.
 */
export type EmbedderProvider = (modelId: string) => Promise<Embedder>;
