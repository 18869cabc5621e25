import type { OnnxAttribute, OnnxElemType, OnnxGraph, OnnxNode, OnnxTensor, OnnxValueInfo } from "./onnx-writer.ts";

/**
 * Builds an `OnnxGraph` one operator at a time, naming intermediate values so that model code
 * reads like the computation it describes. Each `op` returns the name of its output.
 *
 * @example
 *   const graph = new OnnxGraphBuilder("tiny");
 *   const x = graph.addInput("x", "float", ["batch", 4]);
 *   const w = graph.addInitializer("w", "float", [4, 2], new Float32Array(8));
 *   graph.op("MatMul", [x, w], {}, "y");
 *   graph.addOutput("y", "float", ["batch", 2]);
 *   encodeOnnxModel({ graph: graph.build(), opsetImports: [{ domain: "", version: 17 }] });
 */
export class OnnxGraphBuilder {
  private readonly nodes: OnnxNode[] = [];
  private readonly initializers: OnnxTensor[] = [];
  private readonly inputs: OnnxValueInfo[] = [];
  private readonly outputs: OnnxValueInfo[] = [];
  private readonly usedNames = new Set<string>();
  private readonly scopes: string[] = [];

  constructor(private readonly name: string) {}

  addInput(name: string, elemType: OnnxElemType, shape: readonly (number | string)[]): string {
    this.claim(name);
    this.inputs.push({ name, elemType, shape });
    return name;
  }

  /** Declares an existing value as a graph output. */
  addOutput(name: string, elemType: OnnxElemType, shape: readonly (number | string)[]): void {
    if (!this.usedNames.has(name)) throw new Error(`graph output ${name} is not produced by any node`);
    this.outputs.push({ name, elemType, shape });
  }

  /** Adds a constant tensor (weights, shapes, scalars) and returns its unique name. */
  addInitializer(name: string, elemType: OnnxElemType, dims: readonly number[], data: OnnxTensor["data"]): string {
    const unique = this.uniqueName(name);
    this.initializers.push({ name: unique, elemType, dims, data });
    return unique;
  }

  /** Shorthand for a 1-D int64 constant such as a shape or an axes list. */
  addInt64s(name: string, values: readonly number[]): string {
    return this.addInitializer(
      name,
      "int64",
      [values.length],
      BigInt64Array.from(values, (value) => BigInt(value)),
    );
  }

  /** Shorthand for a float scalar constant. */
  addFloatScalar(name: string, value: number): string {
    return this.addInitializer(name, "float", [], new Float32Array([value]));
  }

  /** Adds one operator with a single output and returns that output's name. */
  op(opType: string, inputs: readonly string[], attributes: Readonly<Record<string, OnnxAttribute>> = {}, outputName?: string): string {
    return this.opWithOutputs(opType, inputs, 1, attributes, outputName ? [outputName] : undefined)[0]!;
  }

  /** Adds one operator with `outputCount` outputs (Split, for instance). */
  opWithOutputs(
    opType: string,
    inputs: readonly string[],
    outputCount: number,
    attributes: Readonly<Record<string, OnnxAttribute>> = {},
    outputNames?: readonly string[],
    domain?: string,
  ): string[] {
    for (const input of inputs) {
      // "" is ONNX's way of skipping an optional input.
      if (input !== "" && !this.usedNames.has(input)) throw new Error(`${opType}: input ${input} is not defined yet`);
    }
    const nodeName = this.uniqueName(opType);
    const outputs = outputNames
      ? outputNames.map((name) => {
          this.claim(name);
          return name;
        })
      : Array.from({ length: outputCount }, (_, index) => this.uniqueName(`${nodeName}${outputCount > 1 ? `_${index}` : ""}:out`));
    this.nodes.push({ opType, inputs, outputs, name: nodeName, attributes, ...(domain ? { domain } : {}) });
    return outputs;
  }

  /** Prefixes names created inside `body` with `scope/`, like TensorFlow name scopes. */
  inScope<T>(scope: string, body: () => T): T {
    this.scopes.push(scope);
    try {
      return body();
    } finally {
      this.scopes.pop();
    }
  }

  build(): OnnxGraph {
    if (this.outputs.length === 0) throw new Error(`graph ${this.name} has no outputs`);
    return { name: this.name, nodes: this.nodes, initializers: this.initializers, inputs: this.inputs, outputs: this.outputs };
  }

  private uniqueName(base: string): string {
    const scoped = [...this.scopes, base].join("/");
    let name = scoped;
    for (let suffix = 1; this.usedNames.has(name); suffix++) name = `${scoped}_${suffix}`;
    this.usedNames.add(name);
    return name;
  }

  private claim(name: string): void {
    if (this.usedNames.has(name)) throw new Error(`value name ${name} is already used`);
    this.usedNames.add(name);
  }
}

/** Attribute constructors: ONNX needs to know int from float, which a JS number cannot say. */
export const attr = {
  int: (value: number): OnnxAttribute => ({ type: "int", value }),
  float: (value: number): OnnxAttribute => ({ type: "float", value }),
  string: (value: string): OnnxAttribute => ({ type: "string", value }),
  ints: (value: readonly number[]): OnnxAttribute => ({ type: "ints", value }),
  floats: (value: readonly number[]): OnnxAttribute => ({ type: "floats", value }),
};
