/**
 * The embedding port: turns texts into L2-normalised vectors of a fixed dimension.
 *
 * Every backend (the bundled Universal Sentence Encoder Lite, Transformers.js models under
 * `models/`) implements this, so the indexer and the service never know which model runs.
 *
 * @example
 *   const vectors = await embedder.embed(["Hegseth orders a halt to cyber operations"], "passage");
 *   vectors[0].length === embedder.dimensions; // true
 */
export interface Embedder {
  /** Stable identifier pinned in the index manifest, e.g. `google/use-lite`. */
  readonly modelId: string;
  readonly dimensions: number;
  /**
   * Embeds texts in order. `role` lets asymmetric models (e5: `query: ` / `passage: `) add
   * their prefixes; symmetric models ignore it. Vectors are L2-normalised.
   */
  embed(texts: readonly string[], role?: EmbedRole): Promise<Float32Array[]>;
  /** Releases workers and native sessions. */
  close(): Promise<void>;
}

export type EmbedRole = "query" | "passage";

/** What a worker needs to build its own copy of a model: plain data, so it crosses threads. */
export interface EmbedderSpec {
  modelId: string;
  modelsDir: string;
}
