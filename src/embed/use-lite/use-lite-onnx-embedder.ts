import { readFile } from "node:fs/promises";
import { join } from "node:path";
import ort from "onnxruntime-node";
import { normalizeInPlace } from "../../core/vector-math.ts";
import type { Embedder } from "../embedder.ts";
import { type BatchLimits, type PackedBatch, packTokenBatches } from "../pack-token-batches.ts";
import { DEFAULT_USE_LITE_ONNX_DIRECTORY, ensureUseLiteOnnx } from "./convert/convert-use-lite-to-onnx.ts";
import { USE_LITE_DIMENSIONS, USE_LITE_MAX_TOKENS, USE_LITE_MODEL_FILES, USE_LITE_MODEL_ID } from "./use-lite-constants.ts";
import { loadUseLiteTokenizer, type UseLiteTokenizer } from "./use-lite-tokenizer.ts";

/**
 * Universal Sentence Encoder Lite through onnxruntime-node, in the calling thread: the converted
 * model (see convert-use-lite-to-onnx.ts) with kindred's exact tokenizer. Same vectors as the
 * TF.js path (cosine >= 0.999 on every eval item) at several times the speed, so it keeps the
 * model id `google/use-lite` and existing indexes stay valid.
 *
 * A session's work takes a core, so a server runs this inside a worker (one embedder per worker
 * thread, see worker-pool-embedder.ts), and those workers live as long as the process: with
 * onnxruntime-node 1.14, which kindred ran before, terminating workers that had loaded it and
 * starting new ones corrupted the heap ("free(): invalid pointer") within a few rounds; later
 * versions were not tried at that.
 *
 * onnxruntime-node is a later version than the 1.14 Transformers.js 2.17 depends on (kindred's
 * dependency overrides it, and the Transformers.js embedder runs its sessions itself): 1.14 ran
 * every session on two threads whatever `intraOpNumThreads` said, so an embedding worker took
 * both cores and a third more CPU for the same vectors (docs/performance.md).
 *
 * @example
 *   const embedder = await createUseLiteOnnxEmbedder({ intraOpThreads: 1 });
 *   const [vector] = await embedder.embed(["Pentagon denies halt to cyber operations"]);
 *   await embedder.close();
 */
export async function createUseLiteOnnxEmbedder(options: UseLiteOnnxEmbedderOptions = {}): Promise<UseLiteOnnxEmbedder> {
  const modelDirectory = options.modelDirectory ?? DEFAULT_USE_LITE_ONNX_DIRECTORY;
  const modelId = options.modelId ?? USE_LITE_MODEL_ID;
  const modelFile = USE_LITE_MODEL_FILES[modelId];
  if (modelFile === undefined) throw new Error(`${modelId} is not the bundled USE Lite model (${Object.keys(USE_LITE_MODEL_FILES).join(" or ")})`);
  // First use converts the bundled TF.js model; later uses only compare the source hash.
  if (options.convertIfNeeded ?? true) await ensureUseLiteOnnx({ outputDirectory: modelDirectory });
  const [tokenizer, session] = await Promise.all([
    loadUseLiteTokenizer(join(modelDirectory, "tokenizer.json")),
    // From the file's bytes, not its path: in onnxruntime-node 1.14 a session created from the
    // path ran this model much slower with bit-identical outputs (docs/performance.md, "Figures
    // behind code choices"). Transformers.js also loads from bytes.
    ort.InferenceSession.create(await readFile(join(modelDirectory, modelFile)), {
      intraOpNumThreads: options.intraOpThreads ?? 1,
      interOpNumThreads: 1,
      executionMode: "sequential",
      graphOptimizationLevel: options.graphOptimizationLevel ?? "all",
    }),
  ]);
  const limits: BatchLimits = {
    maxBatchSize: options.maxBatchSize ?? DEFAULT_MAX_BATCH_SIZE,
    maxBatchTokens: options.maxBatchTokens ?? DEFAULT_MAX_BATCH_TOKENS,
  };
  return new UseLiteOnnxEmbedder(modelId, tokenizer, session, limits);
}

export interface UseLiteOnnxEmbedderOptions {
  /** Converted model directory; defaults to models/google/use-lite under the working directory. */
  modelDirectory?: string;
  /** `google/use-lite` (the float graph, the default) or `google/use-lite-int8`. */
  modelId?: string;
  /** Convert (or re-convert after a package update) when needed; default true. */
  convertIfNeeded?: boolean;
  /**
   * onnxruntime intra-op threads. 1 (the default) is right inside a worker pool: one worker per
   * core with one thread each beat one session with two threads in bench/embed-throughput.ts.
   */
  intraOpThreads?: number;
  graphOptimizationLevel?: "disabled" | "basic" | "extended" | "all";
  maxBatchSize?: number;
  maxBatchTokens?: number;
}

/**
 * Small batches of long texts are faster per text on CPU, because the activations of a small
 * batch stay in cache; short titles still want about 32 per batch to amortise the per-run
 * overhead. Hence a bound on tokens per batch as well as on texts (figures: docs/performance.md,
 * "Figures behind code choices").
 */
const DEFAULT_MAX_BATCH_SIZE = 32;
const DEFAULT_MAX_BATCH_TOKENS = 4 * USE_LITE_MAX_TOKENS;

export class UseLiteOnnxEmbedder implements Embedder {
  readonly dimensions = USE_LITE_DIMENSIONS;
  private closed = false;

  constructor(
    readonly modelId: string,
    private readonly tokenizer: UseLiteTokenizer,
    private readonly session: ort.InferenceSession,
    private readonly limits: BatchLimits,
  ) {}

  /** USE Lite is symmetric: `role` is ignored. */
  async embed(texts: readonly string[]): Promise<Float32Array[]> {
    return this.embedTokenIds(texts.map((text) => this.tokenizer.encode(text, USE_LITE_MAX_TOKENS)));
  }

  /** Embeds already tokenised texts; ids past the first 128 are dropped, as the model would. */
  async embedTokenIds(tokenIds: readonly (readonly number[])[]): Promise<Float32Array[]> {
    if (this.closed) throw new Error("The USE Lite ONNX embedder is closed.");
    const clipped = tokenIds.map((ids) => (ids.length > USE_LITE_MAX_TOKENS ? ids.slice(0, USE_LITE_MAX_TOKENS) : ids));
    const vectors = new Array<Float32Array>(tokenIds.length);
    for (const batch of packTokenBatches(clipped, this.limits)) {
      const output = await this.runBatch(batch);
      batch.indices.forEach((index, row) => {
        // slice() copies, so each vector owns a small buffer instead of pinning the batch output.
        vectors[index] = normalizeInPlace(output.slice(row * this.dimensions, (row + 1) * this.dimensions));
      });
    }
    return vectors;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.session.release();
  }

  private async runBatch(batch: PackedBatch): Promise<Float32Array> {
    const dims = [batch.batchSize, batch.sequenceLength];
    const outputs = await this.session.run({
      input_ids: new ort.Tensor("int64", batch.inputIds, dims),
      attention_mask: new ort.Tensor("int64", batch.attentionMask, dims),
    });
    const embedding = outputs.sentence_embedding;
    if (!embedding || !(embedding.data instanceof Float32Array)) throw new Error("USE Lite ONNX model returned no float sentence_embedding");
    return embedding.data;
  }
}
