import { attr, OnnxGraphBuilder } from "../../../onnx/onnx-graph-builder.ts";
import type { OnnxGraph } from "../../../onnx/onnx-writer.ts";
import { quantizeColumnsInt8 } from "../../../onnx/quantize-weights.ts";
import type { DenseWeights, LayerNormWeights, UseLiteLayerWeights, UseLiteWeights } from "./extract-use-lite-weights.ts";

/**
 * Builds the ONNX graph of Universal Sentence Encoder Lite from its weights: a dense, padded
 * equivalent of the sparse TF graph. Pure: weights in, graph description out.
 *
 * Inputs `input_ids` and `attention_mask` (int64 [batch, sequence], right-padded, mask 1 for real
 * tokens); output `sentence_embedding` (float [batch, 512], L2-normalised). Each row behaves as
 * if it had been sent alone: padding keys get the model's own -1e9 attention bias, pooling divides
 * by the row's own length, and only the first `maxTokens` (128) positions are read.
 *
 * Differences from the TF graph that do not change results beyond float rounding:
 * - the embedding table is stored doubled (the TF graph adds the embeddings twice; x2 is exact);
 * - the timing signal is a precomputed [128, 256] table instead of sin/cos at run time;
 * - the query scale 1/sqrt(head size) is folded into the query weights;
 * - padding positions carry values (TF scatters zeros there), which no real position can see.
 *
 * Opset 17, for the fused LayerNormalization operator (onnxruntime >= 1.14 runs it).
 */
export function buildUseLiteOnnxGraph(weights: UseLiteWeights, options: UseLiteGraphOptions = {}): OnnxGraph {
  const graph = new OnnxGraphBuilder("universal_sentence_encoder_lite");
  const addDense = options.weightPrecision === "int8" ? addQuantizedDense : addFloatDense;
  const inputIds = graph.addInput("input_ids", "int64", ["batch_size", "sequence_length"]);
  const attentionMask = graph.addInput("attention_mask", "int64", ["batch_size", "sequence_length"]);

  // ClipToMaxLength: the model never reads past its first maxTokens tokens.
  const clipStarts = graph.addInt64s("clip_starts", [0]);
  const clipEnds = graph.addInt64s("clip_ends", [weights.maxTokens]);
  const sequenceAxis = graph.addInt64s("sequence_axis", [1]);
  const ids = graph.op("Slice", [inputIds, clipStarts, clipEnds, sequenceAxis]);
  const mask = graph.op("Cast", [graph.op("Slice", [attentionMask, clipStarts, clipEnds, sequenceAxis])], { to: attr.int(FLOAT) });

  const embeddingSize = weights.timingInverseTimescales.length * 2;
  const doubled = weights.embeddings.map((value) => value * 2);
  const table = graph.addInitializer("embeddings_doubled", "float", [doubled.length / embeddingSize, embeddingSize], doubled);
  const embedded = graph.op("Gather", [table, ids], { axis: attr.int(0) });
  const timingTable = graph.addInitializer("timing_signal", "float", [weights.maxTokens, embeddingSize], buildTimingSignal(weights));
  const sequenceLength = graph.op("Slice", [graph.op("Shape", [ids]), graph.addInt64s("one", [1]), graph.addInt64s("two", [2])]);
  const timing = graph.op("Slice", [timingTable, clipStarts, sequenceLength, graph.addInt64s("position_axis", [0])]);
  let hidden = graph.op("Add", [embedded, timing]);

  // [batch, 1, 1, keys]: 0 for real tokens, the model's -1e9 for padding.
  const notMask = graph.op("Sub", [graph.addFloatScalar("one_float", 1), mask]);
  const paddingBias = graph.op("Unsqueeze", [
    graph.op("Mul", [notMask, graph.addFloatScalar("padding_bias", weights.paddingBias)]),
    graph.addInt64s("head_query_axes", [1, 2]),
  ]);

  weights.layers.forEach((layer, index) => {
    hidden = graph.inScope(`layer_${index}`, () => addTransformerLayer(graph, hidden, paddingBias, layer, addDense));
  });

  // Mean over each row's own tokens; an empty row divides by 1 and pools to zeros, as in TF.
  const maskColumn = graph.op("Unsqueeze", [mask, graph.addInt64s("feature_axis", [2])]);
  const summed = graph.op("ReduceSum", [graph.op("Mul", [hidden, maskColumn]), sequenceAxis], { keepdims: attr.int(0) });
  const lengths = graph.op("ReduceSum", [mask, sequenceAxis], { keepdims: attr.int(1) });
  const pooled = graph.op("Div", [summed, graph.op("Max", [lengths, graph.addFloatScalar("min_length", 1)])]);

  // One row per text: too little work for quantising to pay, and the last layer before the vector.
  const activated = graph.op("Tanh", [addFloatDense(graph, pooled, weights.tanh, "tanh_layer")]);
  const squaredNorm = graph.op("ReduceSum", [graph.op("Mul", [activated, activated]), sequenceAxis], { keepdims: attr.int(1) });
  const norm = graph.op("Sqrt", [graph.op("Max", [squaredNorm, graph.addFloatScalar("l2_epsilon", weights.l2Epsilon)])]);
  graph.op("Div", [activated, norm], {}, "sentence_embedding");
  graph.addOutput("sentence_embedding", "float", ["batch_size", weights.tanh.outputSize]);
  return graph.build();
}

/** onnx TensorProto.DataType.FLOAT, for Cast. */
const FLOAT = 1;

export interface UseLiteGraphOptions {
  /**
   * `float` (the default): every weight as float32. `int8`: the dense layers' kernels stored as
   * int8 with one scale per output column, their inputs quantised to uint8 per run
   * (onnxruntime's DynamicQuantizeMatMul, com.microsoft domain); the embedding table,
   * attention, normalisation and the final tanh layer stay float.
   */
  weightPrecision?: "float" | "int8";
}

/** The com.microsoft operator set the int8 graph needs, beside the standard one. */
export const USE_LITE_CONTRIB_OPSET = { domain: "com.microsoft", version: 1 } as const;

type AddDense = (graph: OnnxGraphBuilder, input: string, dense: DenseWeights, name: string) => string;

function addTransformerLayer(graph: OnnxGraphBuilder, input: string, paddingBias: string, layer: UseLiteLayerWeights, addDense: AddDense): string {
  const { headCount, headSize } = layer.attention;
  const width = headCount * headSize;
  const normed = addLayerNorm(graph, input, layer.attentionNorm, "attention_norm");
  const qkvWeights = foldQueryScale(layer);
  const qkv = addDense(graph, normed, qkvWeights, "qkv");
  const splitSizes = graph.addInt64s("qkv_split", [width, width, width]);
  const [query, key, value] = graph.opWithOutputs("Split", [qkv, splitSizes], 3, { axis: attr.int(2) });
  const headShape = graph.addInt64s("head_shape", [0, 0, headCount, headSize]);
  const toHeads = (tensor: string, perm: number[]) => graph.op("Transpose", [graph.op("Reshape", [tensor, headShape])], { perm: attr.ints(perm) });
  const queries = toHeads(query!, [0, 2, 1, 3]); // [batch, heads, positions, headSize]
  const keysTransposed = toHeads(key!, [0, 2, 3, 1]); // [batch, heads, headSize, positions]
  const values = toHeads(value!, [0, 2, 1, 3]);
  const logits = graph.op("Add", [graph.op("MatMul", [queries, keysTransposed]), paddingBias]);
  const attention = graph.op("Softmax", [logits], { axis: attr.int(-1) });
  const context = graph.op("MatMul", [attention, values]);
  const merged = graph.op("Reshape", [graph.op("Transpose", [context], { perm: attr.ints([0, 2, 1, 3]) }), graph.addInt64s("merged_shape", [0, 0, width])]);
  const attended = addDense(
    graph,
    merged,
    { kernel: layer.attention.outputKernel, bias: layer.attention.outputBias, inputSize: width, outputSize: layer.attention.outputBias.length },
    "attention_output",
  );

  const residual = layer.residualProjection ? addDense(graph, input, layer.residualProjection, "residual_projection") : input;
  const afterAttention = graph.op("Add", [attended, residual]);
  const ffnNormed = addLayerNorm(graph, afterAttention, layer.ffnNorm, "ffn_norm");
  const expanded = graph.op("Relu", [addDense(graph, ffnNormed, layer.ffnIn, "ffn_in")]);
  return graph.op("Add", [addDense(graph, expanded, layer.ffnOut, "ffn_out"), afterAttention]);
}

function addFloatDense(graph: OnnxGraphBuilder, input: string, dense: DenseWeights, name: string): string {
  const kernel = graph.addInitializer(`${name}/kernel`, "float", [dense.inputSize, dense.outputSize], dense.kernel);
  const bias = graph.addInitializer(`${name}/bias`, "float", [dense.outputSize], dense.bias);
  return graph.op("Add", [graph.op("MatMul", [input, kernel]), bias]);
}

/** input x kernel + bias with an int8 kernel: activations are quantised per run, the bias added in float. */
function addQuantizedDense(graph: OnnxGraphBuilder, input: string, dense: DenseWeights, name: string): string {
  const { values, scales } = quantizeColumnsInt8(dense.kernel, dense.inputSize, dense.outputSize);
  const kernel = graph.addInitializer(`${name}/kernel_int8`, "int8", [dense.inputSize, dense.outputSize], values);
  const scale = graph.addInitializer(`${name}/kernel_scale`, "float", [dense.outputSize], scales);
  const zeroPoint = graph.addInitializer(`${name}/kernel_zero_point`, "int8", [dense.outputSize], new Int8Array(dense.outputSize));
  const bias = graph.addInitializer(`${name}/bias`, "float", [dense.outputSize], dense.bias);
  return graph.opWithOutputs("DynamicQuantizeMatMul", [input, kernel, scale, zeroPoint, bias], 1, {}, undefined, USE_LITE_CONTRIB_OPSET.domain)[0]!;
}

function addLayerNorm(graph: OnnxGraphBuilder, input: string, norm: LayerNormWeights, name: string): string {
  const scale = graph.addInitializer(`${name}/scale`, "float", [norm.scale.length], norm.scale);
  const bias = graph.addInitializer(`${name}/bias`, "float", [norm.bias.length], norm.bias);
  return graph.op("LayerNormalization", [input, scale, bias], { axis: attr.int(-1), epsilon: attr.float(norm.epsilon) });
}

/** Multiplies the query columns of the qkv projection by the query scale (TF multiplies queries). */
function foldQueryScale(layer: UseLiteLayerWeights): DenseWeights {
  const { qkvKernel, qkvBias, queryScale, headCount, headSize } = layer.attention;
  const width = headCount * headSize;
  const outputSize = 3 * width;
  const inputSize = qkvKernel.length / outputSize;
  const kernel = Float32Array.from(qkvKernel);
  const bias = Float32Array.from(qkvBias);
  for (let row = 0; row < inputSize; row++) {
    for (let column = 0; column < width; column++) kernel[row * outputSize + column]! *= queryScale;
  }
  for (let column = 0; column < width; column++) bias[column]! *= queryScale;
  return { kernel, bias, inputSize, outputSize };
}

/**
 * The Transformer timing signal (Vaswani et al. 2017, tensor2tensor `get_timing_signal_1d`) as
 * the TF graph computes it: [sin(p * f), cos(p * f)] with the model's own frequencies f, where
 * p * f is rounded to float32 first, as TF does.
 */
export function buildTimingSignal(weights: Pick<UseLiteWeights, "maxTokens" | "timingInverseTimescales">): Float32Array {
  const frequencies = weights.timingInverseTimescales;
  const channels = frequencies.length;
  const table = new Float32Array(weights.maxTokens * channels * 2);
  for (let position = 0; position < weights.maxTokens; position++) {
    for (let channel = 0; channel < channels; channel++) {
      const angle = Math.fround(position * frequencies[channel]!);
      table[position * channels * 2 + channel] = Math.sin(angle);
      table[position * channels * 2 + channels + channel] = Math.cos(angle);
    }
  }
  return table;
}
