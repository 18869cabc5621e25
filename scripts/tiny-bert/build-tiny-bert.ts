import { mulberry32 } from "../../src/core/seeded-random.ts";
import { attr, OnnxGraphBuilder } from "../../src/onnx/onnx-graph-builder.ts";
import { encodeOnnxModel } from "../../src/onnx/onnx-writer.ts";
import { buildTinyBertVocabulary, specialTokens } from "./tiny-bert-vocabulary.ts";

/**
 * A tiny BERT-style sentence encoder for tests that must not touch the Hugging Face Hub: the real
 * BERT architecture (word + position + token-type embeddings, LayerNorm, post-LN encoder layers
 * with multi-head self-attention and a GELU feed-forward block; output `last_hidden_state`), at
 * toy size, in the Transformers.js layout, loadable as model_type `bert`.
 *
 * It is not a trained model. Its weights are set by construction from a fixed seed:
 * - each topic word's vector is its group's centre plus noise, other words are noise, so texts on
 *   one topic (economy, sport, weather, ...) point the same way even without a shared word;
 * - attention is near uniform (query and key weights small) with value and output weights near
 *   the identity, so every layer mixes the sentence's mean into each token, [CLS] included;
 * - position, token-type and feed-forward weights are small seeded noise, at BERT's init scale.
 * So it separates topics of its hand-written vocabulary and nothing finer: good for testing
 * loading, pooling, batching, truncation and the index round trip, not for judging relatedness.
 */
export function buildTinyBertFixture(options: Partial<TinyBertShape> = {}): Record<string, string | Uint8Array> {
  const shape = { ...defaultShape, ...options };
  const { tokens, groupOf } = buildTinyBertVocabulary();
  const weights = buildWeights(shape, tokens, groupOf);
  const model = encodeOnnxModel({
    graph: buildTinyBertGraph(shape, tokens.length, weights),
    opsetImports: [{ domain: "", version: 17 }],
    producerName: "kindred scripts/make-tiny-bert-fixture.ts",
    producerVersion: "1",
    docString: "Tiny BERT-style test encoder with hand-set weights (see scripts/tiny-bert/build-tiny-bert.ts); not a trained model.",
  });
  return {
    "onnx/model.onnx": model,
    "config.json": json(buildConfig(shape, tokens.length)),
    "tokenizer.json": json(buildTokenizerJson(tokens)),
    "tokenizer_config.json": json(buildTokenizerConfig(shape)),
  };
}

/** Where the fixture lives under test/fixtures/models/. */
export const tinyBertModelId = "kindred-test/tiny-bert";

export interface TinyBertShape {
  hiddenSize: number;
  layers: number;
  heads: number;
  intermediateSize: number;
  maxPositions: number;
  seed: number;
}

const defaultShape: TinyBertShape = { hiddenSize: 32, layers: 2, heads: 2, intermediateSize: 64, maxPositions: 128, seed: 20_251_125 };

interface DenseWeights {
  kernel: Float32Array;
  bias: Float32Array;
  inputSize: number;
  outputSize: number;
}

interface LayerWeights {
  query: DenseWeights;
  key: DenseWeights;
  value: DenseWeights;
  attentionOutput: DenseWeights;
  ffnIn: DenseWeights;
  ffnOut: DenseWeights;
}

interface TinyBertWeights {
  words: Float32Array;
  positions: Float32Array;
  tokenTypes: Float32Array;
  layers: LayerWeights[];
}

/** BERT's initialiser scale (Devlin et al. 2019, `initializer_range`). */
const initScale = 0.02;

function buildWeights(shape: TinyBertShape, tokens: readonly string[], groupOf: ReadonlyMap<string, string>): TinyBertWeights {
  const random = mulberry32(shape.seed);
  const gaussian = () => Math.sqrt(-2 * Math.log(random() + 1e-12)) * Math.cos(2 * Math.PI * random());
  const noise = (count: number, scale: number) => Float32Array.from({ length: count }, () => gaussian() * scale);
  const width = shape.hiddenSize;

  const centres = new Map<string, Float32Array>();
  for (const group of new Set(groupOf.values())) centres.set(group, noise(width, 1));
  const words = new Float32Array(tokens.length * width);
  tokens.forEach((token, id) => {
    const centre = centres.get(groupOf.get(token) ?? "");
    const vector = noise(width, centre === undefined ? 0.7 : 0.5);
    if (centre !== undefined) for (let i = 0; i < width; i++) vector[i]! += centre[i]!;
    words.set(vector, id * width);
  });

  const dense = (inputSize: number, outputSize: number, identity = 0): DenseWeights => {
    const kernel = noise(inputSize * outputSize, initScale);
    for (let i = 0; i < Math.min(inputSize, outputSize); i++) kernel[i * outputSize + i]! += identity;
    return { kernel, bias: new Float32Array(outputSize), inputSize, outputSize };
  };
  const layers = Array.from({ length: shape.layers }, () => ({
    query: dense(width, width),
    key: dense(width, width),
    value: dense(width, width, 1),
    attentionOutput: dense(width, width, 1),
    ffnIn: dense(width, shape.intermediateSize),
    ffnOut: dense(shape.intermediateSize, width),
  }));
  return { words, positions: noise(shape.maxPositions * width, initScale), tokenTypes: noise(2 * width, initScale), layers };
}

/** onnx TensorProto.DataType.FLOAT, for Cast. */
const FLOAT = 1;

/**
 * The BERT encoder graph (Devlin et al. 2019; the layout of Hugging Face's BertModel export):
 * inputs `input_ids`, `attention_mask`, `token_type_ids` (int64 [batch, sequence]); output
 * `last_hidden_state` (float [batch, sequence, hidden]). Padding keys get BERT's -10000 bias.
 */
function buildTinyBertGraph(shape: TinyBertShape, vocabularySize: number, weights: TinyBertWeights) {
  const width = shape.hiddenSize;
  const graph = new OnnxGraphBuilder("tiny_bert");
  const inputIds = graph.addInput("input_ids", "int64", ["batch_size", "sequence_length"]);
  const attentionMask = graph.addInput("attention_mask", "int64", ["batch_size", "sequence_length"]);
  const tokenTypeIds = graph.addInput("token_type_ids", "int64", ["batch_size", "sequence_length"]);

  const wordTable = graph.addInitializer("embeddings/word_embeddings", "float", [vocabularySize, width], weights.words);
  const positionTable = graph.addInitializer("embeddings/position_embeddings", "float", [shape.maxPositions, width], weights.positions);
  const typeTable = graph.addInitializer("embeddings/token_type_embeddings", "float", [2, width], weights.tokenTypes);
  const sequenceLength = graph.op("Slice", [graph.op("Shape", [inputIds]), graph.addInt64s("one", [1]), graph.addInt64s("two", [2])]);
  const positions = graph.op("Slice", [positionTable, graph.addInt64s("zero", [0]), sequenceLength, graph.addInt64s("position_axis", [0])]);
  const embedded = graph.op("Add", [
    graph.op("Add", [graph.op("Gather", [wordTable, inputIds], { axis: attr.int(0) }), positions]),
    graph.op("Gather", [typeTable, tokenTypeIds], { axis: attr.int(0) }),
  ]);
  let hidden = addLayerNorm(graph, embedded, width, "embeddings/layer_norm");

  const mask = graph.op("Cast", [attentionMask], { to: attr.int(FLOAT) });
  const notMask = graph.op("Sub", [graph.addFloatScalar("one_float", 1), mask]);
  const paddingBias = graph.op("Unsqueeze", [
    graph.op("Mul", [notMask, graph.addFloatScalar("padding_bias", -10_000)]),
    graph.addInt64s("head_query_axes", [1, 2]),
  ]);

  weights.layers.forEach((layer, index) => {
    hidden = graph.inScope(`encoder/layer_${index}`, () => addEncoderLayer(graph, hidden, paddingBias, layer, shape));
  });
  graph.op("Identity", [hidden], {}, "last_hidden_state");
  graph.addOutput("last_hidden_state", "float", ["batch_size", "sequence_length", width]);
  return graph.build();
}

function addEncoderLayer(graph: OnnxGraphBuilder, input: string, paddingBias: string, layer: LayerWeights, shape: TinyBertShape): string {
  const headSize = shape.hiddenSize / shape.heads;
  const headShape = graph.addInt64s("head_shape", [0, 0, shape.heads, headSize]);
  const toHeads = (tensor: string, perm: number[]) => graph.op("Transpose", [graph.op("Reshape", [tensor, headShape])], { perm: attr.ints(perm) });
  const queries = toHeads(addDense(graph, input, layer.query, "attention/query"), [0, 2, 1, 3]); // [batch, heads, positions, headSize]
  const keys = toHeads(addDense(graph, input, layer.key, "attention/key"), [0, 2, 3, 1]); // [batch, heads, headSize, positions]
  const values = toHeads(addDense(graph, input, layer.value, "attention/value"), [0, 2, 1, 3]);
  const scores = graph.op("Mul", [graph.op("MatMul", [queries, keys]), graph.addFloatScalar("attention/scale", 1 / Math.sqrt(headSize))]);
  const attention = graph.op("Softmax", [graph.op("Add", [scores, paddingBias])], { axis: attr.int(-1) });
  const context = graph.op("Transpose", [graph.op("MatMul", [attention, values])], { perm: attr.ints([0, 2, 1, 3]) });
  const merged = graph.op("Reshape", [context, graph.addInt64s("merged_shape", [0, 0, shape.hiddenSize])]);
  const attended = addLayerNorm(
    graph,
    graph.op("Add", [addDense(graph, merged, layer.attentionOutput, "attention/output"), input]),
    shape.hiddenSize,
    "attention/layer_norm",
  );

  const expanded = addGelu(graph, addDense(graph, attended, layer.ffnIn, "intermediate"));
  return addLayerNorm(graph, graph.op("Add", [addDense(graph, expanded, layer.ffnOut, "output"), attended]), shape.hiddenSize, "output/layer_norm");
}

/** GELU as BERT computes it: x * 0.5 * (1 + erf(x / sqrt(2))). */
function addGelu(graph: OnnxGraphBuilder, input: string): string {
  const erf = graph.op("Erf", [graph.op("Div", [input, graph.addFloatScalar("sqrt_two", Math.SQRT2)])]);
  return graph.op("Mul", [graph.op("Mul", [input, graph.addFloatScalar("half", 0.5)]), graph.op("Add", [erf, graph.addFloatScalar("one_plus", 1)])]);
}

function addDense(graph: OnnxGraphBuilder, input: string, dense: DenseWeights, name: string): string {
  const kernel = graph.addInitializer(`${name}/kernel`, "float", [dense.inputSize, dense.outputSize], dense.kernel);
  const bias = graph.addInitializer(`${name}/bias`, "float", [dense.outputSize], dense.bias);
  return graph.op("Add", [graph.op("MatMul", [input, kernel]), bias]);
}

function addLayerNorm(graph: OnnxGraphBuilder, input: string, width: number, name: string): string {
  const scale = graph.addInitializer(`${name}/gamma`, "float", [width], new Float32Array(width).fill(1));
  const bias = graph.addInitializer(`${name}/beta`, "float", [width], new Float32Array(width));
  return graph.op("LayerNormalization", [input, scale, bias], { axis: attr.int(-1), epsilon: attr.float(1e-12) });
}

function buildConfig(shape: TinyBertShape, vocabularySize: number): object {
  return {
    _comment: "Tiny BERT-style test encoder with hand-set weights, generated by scripts/make-tiny-bert-fixture.ts; not a trained model.",
    model_type: "bert",
    architectures: ["BertModel"],
    hidden_size: shape.hiddenSize,
    num_hidden_layers: shape.layers,
    num_attention_heads: shape.heads,
    intermediate_size: shape.intermediateSize,
    hidden_act: "gelu",
    max_position_embeddings: shape.maxPositions,
    type_vocab_size: 2,
    vocab_size: vocabularySize,
    layer_norm_eps: 1e-12,
    pad_token_id: 0,
  };
}

/** A Hugging Face `tokenizers` file for a lower-casing WordPiece tokenizer, as bert-base-uncased has. */
function buildTokenizerJson(tokens: readonly string[]): object {
  const idOf = (token: string) => tokens.indexOf(token);
  const special = (token: string) => ({ id: idOf(token), content: token, single_word: false, lstrip: false, rstrip: false, normalized: false, special: true });
  const sequence = (id: "A" | "B", typeId: number) => ({ Sequence: { id, type_id: typeId } });
  const specialToken = (id: string, typeId: number) => ({ SpecialToken: { id, type_id: typeId } });
  return {
    version: "1.0",
    truncation: null,
    padding: null,
    added_tokens: specialTokens.map(special),
    normalizer: { type: "BertNormalizer", clean_text: true, handle_chinese_chars: true, strip_accents: null, lowercase: true },
    pre_tokenizer: { type: "BertPreTokenizer" },
    post_processor: {
      type: "TemplateProcessing",
      single: [specialToken("[CLS]", 0), sequence("A", 0), specialToken("[SEP]", 0)],
      pair: [specialToken("[CLS]", 0), sequence("A", 0), specialToken("[SEP]", 0), sequence("B", 1), specialToken("[SEP]", 1)],
      special_tokens: Object.fromEntries(["[CLS]", "[SEP]"].map((token) => [token, { id: token, ids: [idOf(token)], tokens: [token] }])),
    },
    decoder: { type: "WordPiece", prefix: "##", cleanup: true },
    model: {
      type: "WordPiece",
      unk_token: "[UNK]",
      continuing_subword_prefix: "##",
      max_input_chars_per_word: 100,
      vocab: Object.fromEntries(tokens.map((token, id) => [token, id])),
    },
  };
}

function buildTokenizerConfig(shape: TinyBertShape): object {
  return {
    tokenizer_class: "BertTokenizer",
    model_max_length: shape.maxPositions,
    do_lower_case: true,
    clean_up_tokenization_spaces: true,
    tokenize_chinese_chars: true,
    strip_accents: null,
    cls_token: "[CLS]",
    sep_token: "[SEP]",
    pad_token: "[PAD]",
    unk_token: "[UNK]",
    mask_token: "[MASK]",
  };
}

function json(value: object): string {
  return `${JSON.stringify(value, null, 1)}\n`;
}
