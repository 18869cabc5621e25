import { ProtobufWriter } from "./protobuf-writer.ts";

/**
 * Serialises a plain description of an ONNX model into ModelProto bytes, with no dependency on
 * protobuf libraries. Pure: the same description always gives the same bytes.
 *
 * Field numbers follow onnx/onnx.proto (https://github.com/onnx/onnx/blob/main/onnx/onnx.proto).
 * Tensors are written as `raw_data` (little-endian), which every runtime reads.
 *
 * @example
 *   const bytes = encodeOnnxModel({
 *     opsetImports: [{ domain: "", version: 17 }],
 *     graph: {
 *       name: "add-one",
 *       inputs: [{ name: "x", elemType: "float", shape: ["batch", 4] }],
 *       outputs: [{ name: "y", elemType: "float", shape: ["batch", 4] }],
 *       initializers: [{ name: "one", elemType: "float", dims: [], data: new Float32Array([1]) }],
 *       nodes: [{ opType: "Add", inputs: ["x", "one"], outputs: ["y"] }],
 *     },
 *   });
 */
export function encodeOnnxModel(model: OnnxModel): Uint8Array {
  const writer = new ProtobufWriter();
  writer.writeVarint(1, model.irVersion ?? DEFAULT_IR_VERSION);
  writer.writeString(2, model.producerName ?? "kindred");
  if (model.producerVersion) writer.writeString(3, model.producerVersion);
  if (model.docString) writer.writeString(6, model.docString);
  writer.writeMessage(7, encodeGraph(model.graph));
  for (const opset of model.opsetImports) {
    writer.writeMessage(8, new ProtobufWriter().writeString(1, opset.domain).writeVarint(2, opset.version));
  }
  for (const [key, value] of Object.entries(model.metadata ?? {})) {
    writer.writeMessage(14, new ProtobufWriter().writeString(1, key).writeString(2, value));
  }
  return writer.finish();
}

/** IR version 8 (ONNX 1.13) is the newest that onnxruntime 1.14 reads, and covers opset 18. */
export const DEFAULT_IR_VERSION = 8;

export type OnnxElemType = "float" | "uint8" | "int8" | "int32" | "int64" | "bool";

export interface OnnxModel {
  graph: OnnxGraph;
  /** e.g. `[{ domain: "", version: 17 }]`; the empty domain is the standard `ai.onnx` one. */
  opsetImports: readonly { domain: string; version: number }[];
  irVersion?: number;
  producerName?: string;
  producerVersion?: string;
  docString?: string;
  /** Free-form key/value pairs stored in the model (ModelProto.metadata_props). */
  metadata?: Readonly<Record<string, string>>;
}

export interface OnnxGraph {
  name: string;
  nodes: readonly OnnxNode[];
  initializers: readonly OnnxTensor[];
  inputs: readonly OnnxValueInfo[];
  outputs: readonly OnnxValueInfo[];
}

export interface OnnxNode {
  opType: string;
  inputs: readonly string[];
  outputs: readonly string[];
  name?: string;
  /** Operator domain; empty or absent for standard operators, `com.microsoft` for contrib ones. */
  domain?: string;
  attributes?: Readonly<Record<string, OnnxAttribute>>;
}

/** Tagged, because a JavaScript number cannot say whether it is an ONNX int or float. */
export type OnnxAttribute =
  | { type: "int"; value: number }
  | { type: "float"; value: number }
  | { type: "string"; value: string }
  | { type: "ints"; value: readonly number[] }
  | { type: "floats"; value: readonly number[] }
  | { type: "tensor"; value: OnnxTensor };

export interface OnnxTensor {
  name: string;
  elemType: OnnxElemType;
  /** Empty for a scalar. */
  dims: readonly number[];
  data: Float32Array | Int32Array | BigInt64Array | Int8Array | Uint8Array;
}

export interface OnnxValueInfo {
  name: string;
  elemType: OnnxElemType;
  /** A number is a fixed size, a string a named symbolic dimension such as `batch`. */
  shape: readonly (number | string)[];
}

/** TensorProto.DataType codes. */
const ELEM_TYPE_CODES: Record<OnnxElemType, number> = {
  float: 1,
  uint8: 2,
  int8: 3,
  int32: 6,
  int64: 7,
  bool: 9,
};

/** AttributeProto.AttributeType codes. */
const ATTRIBUTE_TYPE_CODES = { float: 1, int: 2, string: 3, tensor: 4, floats: 6, ints: 7 } as const;

function encodeGraph(graph: OnnxGraph): ProtobufWriter {
  const writer = new ProtobufWriter();
  for (const node of graph.nodes) writer.writeMessage(1, encodeNode(node));
  writer.writeString(2, graph.name);
  for (const tensor of graph.initializers) writer.writeMessage(5, encodeTensor(tensor));
  for (const input of graph.inputs) writer.writeMessage(11, encodeValueInfo(input));
  for (const output of graph.outputs) writer.writeMessage(12, encodeValueInfo(output));
  return writer;
}

function encodeNode(node: OnnxNode): ProtobufWriter {
  const writer = new ProtobufWriter();
  for (const input of node.inputs) writer.writeString(1, input);
  for (const output of node.outputs) writer.writeString(2, output);
  if (node.name) writer.writeString(3, node.name);
  writer.writeString(4, node.opType);
  for (const [name, attribute] of Object.entries(node.attributes ?? {})) {
    writer.writeMessage(5, encodeAttribute(name, attribute));
  }
  if (node.domain) writer.writeString(7, node.domain);
  return writer;
}

function encodeAttribute(name: string, attribute: OnnxAttribute): ProtobufWriter {
  const writer = new ProtobufWriter().writeString(1, name);
  switch (attribute.type) {
    case "float":
      writer.writeFloat(2, attribute.value);
      break;
    case "int":
      writer.writeVarint(3, attribute.value);
      break;
    case "string":
      writer.writeString(4, attribute.value);
      break;
    case "tensor":
      writer.writeMessage(5, encodeTensor(attribute.value));
      break;
    case "floats":
      for (const value of attribute.value) writer.writeFloat(7, value);
      break;
    case "ints":
      for (const value of attribute.value) writer.writeVarint(8, value);
      break;
  }
  writer.writeVarint(20, ATTRIBUTE_TYPE_CODES[attribute.type]);
  return writer;
}

function encodeTensor(tensor: OnnxTensor): ProtobufWriter {
  const elementCount = tensor.dims.reduce((product, dim) => product * dim, 1);
  if (tensor.data.length !== elementCount) {
    throw new Error(`tensor ${tensor.name}: dims [${tensor.dims.join(", ")}] need ${elementCount} values, got ${tensor.data.length}`);
  }
  const writer = new ProtobufWriter();
  for (const dim of tensor.dims) writer.writeVarint(1, dim);
  writer.writeVarint(2, ELEM_TYPE_CODES[tensor.elemType]);
  writer.writeString(8, tensor.name);
  writer.writeBytes(9, toLittleEndianBytes(tensor.data));
  return writer;
}

function encodeValueInfo(info: OnnxValueInfo): ProtobufWriter {
  const shape = new ProtobufWriter();
  for (const dim of info.shape) {
    const dimension = new ProtobufWriter();
    if (typeof dim === "number") dimension.writeVarint(1, dim);
    else dimension.writeString(2, dim);
    shape.writeMessage(1, dimension);
  }
  const tensorType = new ProtobufWriter().writeVarint(1, ELEM_TYPE_CODES[info.elemType]).writeMessage(2, shape);
  const type = new ProtobufWriter().writeMessage(1, tensorType);
  return new ProtobufWriter().writeString(1, info.name).writeMessage(2, type);
}

const IS_LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/** ONNX raw_data is little-endian; typed arrays use the host order, which is little on x86 and ARM. */
function toLittleEndianBytes(data: OnnxTensor["data"]): Uint8Array {
  if (!IS_LITTLE_ENDIAN && data.BYTES_PER_ELEMENT > 1) {
    throw new Error("writing ONNX tensors on a big-endian host is not supported");
  }
  return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
}
