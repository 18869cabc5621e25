import { existsSync } from "node:fs";
import { join } from "node:path";
import { KindredError } from "../../core/errors.ts";
import { normalizeInPlace } from "../../core/vector-math.ts";
import type { Embedder, EmbedRole } from "../embedder.ts";
import { type BatchLimits, type PackedBatch, packTokenBatches } from "../pack-token-batches.ts";
import { type ModelProfile, modelDirectory, readModelDimensions, readModelMaxTokens, resolveModelProfile } from "./model-profiles.ts";

/**
 * A Hugging Face sentence-embedding model from `models/<org>/<name>/` (the Transformers.js
 * layout: config.json, tokenizer.json, tokenizer_config.json, onnx/model.onnx or
 * onnx/model_quantized.onnx), run in the calling thread through Transformers.js: its hub code
 * reads the files with remote loading off (`env.allowRemoteModels = false`,
 * `env.localModelPath` at the models directory) and its tokenizer encodes. kindred opens and
 * runs the ONNX session itself (onnxruntime-node), with one intra-op thread, for
 * the same reason as the bundled model (use-lite-onnx-embedder.ts): a server runs one embedder
 * per worker thread, and one thread per worker uses the cores best.
 *
 * Each text is prefixed for its role (e5's `query: ` / `passage: `, see model-profiles.ts),
 * tokenised, cut to the model's maximum length keeping the closing special token, batched with
 * texts of similar length, pooled (mean under the attention mask, or the [CLS] vector) and
 * L2-normalised. Long articles never reach this cut in practice: the engine embeds an article as
 * passages of at most 90 words and averages them (core/embed-text.ts).
 *
 * @example
 *   const embedder = await createTransformersEmbedder({ modelsDir: "models", modelId: "Xenova/all-MiniLM-L6-v2" });
 *   const [vector] = await embedder.embed(["Pentagon denies halt to cyber operations"], "passage");
 */
export async function createTransformersEmbedder(options: TransformersEmbedderOptions): Promise<TransformersEmbedder> {
  const { modelsDir, modelId } = options;
  const directory = modelDirectory(modelsDir, modelId);
  const profile = resolveModelProfile(modelsDir, modelId);
  const onnxFile = chooseOnnxFile(directory, profile, modelId);
  const missing = ["config.json", "tokenizer.json", "tokenizer_config.json"].filter((file) => !existsSync(join(directory, file)));
  if (missing.length > 0) {
    throw new KindredError(
      "model_unavailable",
      `The model "${modelId}" in ${directory} lacks ${missing.join(", ")}; fetch it again with \`kindred model fetch ${modelId}\`.`,
      { model: modelId },
    );
  }
  const ownLimit = readModelMaxTokens(modelsDir, modelId) ?? Infinity;
  const maxTokens = Math.min(profile.maxTokens ?? Infinity, ownLimit);
  if (!Number.isFinite(maxTokens)) {
    throw new KindredError("model_unavailable", `The model "${modelId}" states no maximum length; set "maxTokens" in ${join(directory, "kindred.json")}.`, {
      model: modelId,
    });
  }
  const dimensions = readModelDimensions(modelsDir, modelId);
  if (dimensions === null)
    throw new KindredError("model_unavailable", `The width of model "${modelId}" is unknown; set "dimensions" in ${join(directory, "kindred.json")}.`, {
      model: modelId,
    });
  const limits: BatchLimits = { maxBatchSize: options.maxBatchSize ?? 32, maxBatchTokens: options.maxBatchTokens ?? 4 * Math.min(maxTokens, 512) };
  const loaded = await loadWithTransformersJs(modelsDir, modelId, onnxFile, options.intraOpThreads ?? 1);
  return new TransformersEmbedder(modelId, dimensions, profile, maxTokens, loaded, limits);
}

export interface TransformersEmbedderOptions {
  /** The models directory (`models/`), holding `<org>/<name>/`. */
  modelsDir: string;
  modelId: string;
  /** onnxruntime intra-op threads; 1 inside a worker pool (the default). */
  intraOpThreads?: number;
  maxBatchSize?: number;
  /** Cap on texts x padded length per batch; default 4 x the maximum length (at most 2,048). */
  maxBatchTokens?: number;
}

/** The parts of Transformers.js one embedder holds (typed here: the package ships loose types). */
interface LoadedModel {
  encode(text: string): number[];
  forward(inputs: Record<string, unknown>): Promise<Record<string, { data: Float32Array; dims: number[] }>>;
  createTensor(ids: BigInt64Array, dims: number[]): unknown;
  release(): Promise<void>;
}

export class TransformersEmbedder implements Embedder {
  #closed = false;
  /** How many of the special tokens a text is wrapped in come first ([CLS]) and last ([SEP]). */
  readonly #specials: { leading: number; trailing: number };

  constructor(
    readonly modelId: string,
    readonly dimensions: number,
    readonly profile: Readonly<ModelProfile>,
    /** Tokens read per text, special tokens included. */
    readonly maxTokens: number,
    private readonly model: LoadedModel,
    private readonly limits: BatchLimits,
  ) {
    this.#specials = measureSpecialTokens(model);
  }

  async embed(texts: readonly string[], role: EmbedRole = "passage"): Promise<Float32Array[]> {
    if (this.#closed) throw new Error(`The embedder of "${this.modelId}" is closed.`);
    const prefix = role === "query" ? this.profile.queryPrefix : this.profile.passagePrefix;
    return this.embedTokenIds(texts.map((text) => this.tokenize(prefix + text)));
  }

  /**
   * The token ids the model reads for a text: the tokenizer's, with special tokens; a text longer
   * than `maxTokens` keeps its first tokens and its closing special token(s), as Hugging Face
   * tokenizers truncate (Transformers.js 2.x would cut the closing [SEP] off).
   */
  tokenize(text: string): number[] {
    const ids = this.model.encode(text);
    if (ids.length <= this.maxTokens) return ids;
    const { trailing } = this.#specials;
    return [...ids.slice(0, this.maxTokens - trailing), ...ids.slice(ids.length - trailing)];
  }

  async embedTokenIds(tokenIds: readonly (readonly number[])[]): Promise<Float32Array[]> {
    const vectors = new Array<Float32Array>(tokenIds.length);
    for (const batch of packTokenBatches(tokenIds, this.limits)) {
      const pooled = await this.#runBatch(batch);
      batch.indices.forEach((index, row) => (vectors[index] = normalizeInPlace(pooled[row]!)));
    }
    return vectors;
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await this.model.release();
  }

  async #runBatch(batch: PackedBatch): Promise<Float32Array[]> {
    const dims = [batch.batchSize, batch.sequenceLength];
    const outputs = await this.model.forward({
      input_ids: this.model.createTensor(batch.inputIds, dims),
      attention_mask: this.model.createTensor(batch.attentionMask, dims),
      token_type_ids: this.model.createTensor(new BigInt64Array(batch.inputIds.length), dims),
    });
    if (this.profile.pooling === "model") return splitRows(requireOutput(outputs, "sentence_embedding", this.modelId), this.dimensions);
    const hidden = requireOutput(outputs, "last_hidden_state", this.modelId);
    const width = hidden.dims[2]!;
    if (width !== this.dimensions)
      throw new KindredError(
        "model_unavailable",
        `The model "${this.modelId}" outputs ${width} dimensions, not the ${this.dimensions} its configuration says.`,
        { model: this.modelId },
      );
    return this.profile.pooling === "cls" ? poolFirstToken(hidden.data, batch, width) : poolMean(hidden.data, batch, width);
  }
}

/** Mean of each row's token vectors under its attention mask (sentence-transformers' mean pooling). */
export function poolMean(hidden: Float32Array, batch: Pick<PackedBatch, "batchSize" | "sequenceLength" | "attentionMask">, width: number): Float32Array[] {
  const { batchSize, sequenceLength, attentionMask } = batch;
  return Array.from({ length: batchSize }, (_, row) => {
    const sum = new Float32Array(width);
    let count = 0;
    for (let position = 0; position < sequenceLength; position++) {
      if (attentionMask[row * sequenceLength + position] === 0n) continue;
      count++;
      const offset = (row * sequenceLength + position) * width;
      for (let i = 0; i < width; i++) sum[i]! += hidden[offset + i]!;
    }
    for (let i = 0; i < width; i++) sum[i] = sum[i]! / Math.max(count, 1);
    return sum;
  });
}

/** The first token's vector of each row ([CLS] for BERT-style tokenizers). */
export function poolFirstToken(hidden: Float32Array, batch: Pick<PackedBatch, "batchSize" | "sequenceLength">, width: number): Float32Array[] {
  return Array.from({ length: batch.batchSize }, (_, row) => hidden.slice(row * batch.sequenceLength * width, (row * batch.sequenceLength + 1) * width));
}

function splitRows(output: { data: Float32Array }, width: number): Float32Array[] {
  return Array.from({ length: output.data.length / width }, (_, row) => output.data.slice(row * width, (row + 1) * width));
}

function requireOutput(outputs: Record<string, { data: Float32Array; dims: number[] } | undefined>, name: string, modelId: string) {
  const output = outputs[name];
  if (output === undefined || !(output.data instanceof Float32Array)) {
    throw new KindredError(
      "model_unavailable",
      `The model "${modelId}" has no float output "${name}" (it has ${Object.keys(outputs).join(", ")}); set "pooling" in its kindred.json.`,
      { model: modelId },
    );
  }
  return output;
}

/** Which ONNX file to load: as the profile says, else full precision if installed, else quantized. */
function chooseOnnxFile(directory: string, profile: ModelProfile, modelId: string): string {
  const full = "onnx/model.onnx";
  const quantized = "onnx/model_quantized.onnx";
  const candidates = profile.quantized === null ? [full, quantized] : [profile.quantized ? quantized : full];
  const found = candidates.find((file) => existsSync(join(directory, file)));
  if (found !== undefined) return found;
  throw new KindredError(
    "model_unavailable",
    `The model "${modelId}" is not installed: ${join(directory, candidates[0]!)} is missing. Fetch it with \`kindred model fetch ${modelId}\` where the Hugging Face Hub is reachable (docs/models.md, "Other models").`,
    { model: modelId },
  );
}

/**
 * Finds how the tokenizer wraps a text: encoding "" gives only the special tokens ([CLS] [SEP]),
 * encoding a word shows how many of them come before it.
 */
function measureSpecialTokens(model: Pick<LoadedModel, "encode">): { leading: number; trailing: number } {
  const empty = model.encode("");
  const word = model.encode("a");
  let leading = 0;
  while (leading < empty.length && empty[leading] === word[leading]) leading++;
  return { leading, trailing: empty.length - leading };
}

/** Transformers.js' `env` is global to the thread: loads take turns so two never mix settings. */
let loadQueue: Promise<unknown> = Promise.resolve();

async function loadWithTransformersJs(modelsDir: string, modelId: string, onnxFile: string, intraOpThreads: number): Promise<LoadedModel> {
  const load = async (): Promise<LoadedModel> => {
    // Imported here, not at the top: Transformers.js loads onnxruntime-node, which must only be
    // loaded in threads that run a session (see use-lite-onnx-embedder.ts).
    const [transformers, hub, ort] = await Promise.all([
      import("@xenova/transformers"),
      import("@xenova/transformers/src/utils/hub.js"),
      import("onnxruntime-node"),
    ]);
    const { env } = transformers;
    env.allowRemoteModels = false;
    env.allowLocalModels = true;
    env.localModelPath = `${modelsDir.replace(/\/+$/, "")}/`;
    env.useFSCache = false;
    env.useBrowserCache = false;
    const localOnly = { local_files_only: true };
    const [tokenizer, modelBytes] = await Promise.all([
      transformers.AutoTokenizer.from_pretrained(modelId, localOnly),
      hub.getModelFile(modelId, onnxFile, true, localOnly),
    ]);
    const session = await ort.InferenceSession.create(modelBytes, {
      executionProviders: ["cpu"],
      intraOpNumThreads: intraOpThreads,
      interOpNumThreads: 1,
      executionMode: "sequential",
      graphOptimizationLevel: "all",
    });
    // kindred runs the encoder's session itself, on the onnxruntime-node it depends on: the
    // forward pass of Transformers.js 2.17 hands the runtime tensors of its own making, which
    // runtimes after 1.14 refuse. An encoder takes exactly the inputs its graph declares.
    return {
      encode: (text) => tokenizer.encode(text),
      forward: async (inputs) => {
        const feeds: Record<string, InstanceType<typeof ort.Tensor>> = {};
        for (const name of session.inputNames) {
          const input = inputs[name];
          if (input === undefined)
            throw new KindredError("model_unavailable", `The model "${modelId}" wants an input "${name}" kindred does not give.`, { model: modelId });
          feeds[name] = input as InstanceType<typeof ort.Tensor>;
        }
        return (await session.run(feeds)) as unknown as Record<string, { data: Float32Array; dims: number[] }>;
      },
      createTensor: (ids, dims) => new ort.Tensor("int64", ids, dims),
      release: () => session.release(),
    };
  };
  const run = loadQueue.then(load, load);
  loadQueue = run.catch(() => undefined);
  return run;
}
