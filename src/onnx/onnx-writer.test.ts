import ort from "onnxruntime-node";
import { describe, expect, it } from "vitest";
import { attr, OnnxGraphBuilder } from "./onnx-graph-builder.ts";
import { encodeOnnxModel } from "./onnx-writer.ts";
import { encodeVarint } from "./protobuf-writer.ts";

describe("encodeVarint", () => {
  it("encodes small, multi-byte and negative values as protobuf does", () => {
    expect([...encodeVarint(1)]).toEqual([1]);
    expect([...encodeVarint(300)]).toEqual([0xac, 0x02]);
    // Negative int64: ten bytes of two's complement.
    expect([...encodeVarint(-1)]).toEqual([0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01]);
    expect([...encodeVarint(2n ** 40n)]).toEqual([0x80, 0x80, 0x80, 0x80, 0x80, 0x20]);
  });

  it("refuses numbers that are not safe integers", () => {
    expect(() => encodeVarint(1.5)).toThrow(/safe integer/);
  });
});

describe("encodeOnnxModel", () => {
  it("writes a model that onnxruntime loads and runs, with int, float, ints attributes and int64 initializers", async () => {
    const graph = new OnnxGraphBuilder("writer-test");
    const x = graph.addInput("x", "float", ["batch", 3]);
    const weights = graph.addInitializer("w", "float", [3, 2], new Float32Array([1, 2, 3, 4, 5, 6]));
    const shape = graph.addInt64s("shape", [-1, 2]);
    const product = graph.op("MatMul", [x, weights]);
    const reshaped = graph.op("Reshape", [product, shape]);
    const transposed = graph.op("Transpose", [reshaped], { perm: attr.ints([0, 1]) });
    const normed = graph.op(
      "LayerNormalization",
      [transposed, graph.addInitializer("scale", "float", [2], new Float32Array([1, 1])), graph.addInitializer("bias", "float", [2], new Float32Array([0, 0]))],
      {
        axis: attr.int(-1),
        epsilon: attr.float(1e-6),
      },
    );
    graph.op("Softmax", [normed], { axis: attr.int(-1) }, "y");
    graph.addOutput("y", "float", ["batch", 2]);
    const bytes = encodeOnnxModel({ graph: graph.build(), opsetImports: [{ domain: "", version: 17 }], metadata: { purpose: "test" } });

    const session = await ort.InferenceSession.create(bytes);
    expect(session.inputNames).toEqual(["x"]);
    expect(session.outputNames).toEqual(["y"]);
    const { y } = await session.run({ x: new ort.Tensor("float32", new Float32Array([1, 0, 0, 0, 0, 1]), [2, 3]) });
    // Rows [1, 2] and [5, 6] layer-normalise to [-1, 1]; softmax gives [0.1192, 0.8808].
    expect(Array.from(y!.data as Float32Array).map((value) => Number(value.toFixed(4)))).toEqual([0.1192, 0.8808, 0.1192, 0.8808]);
  });

  it("is deterministic: the same description gives the same bytes", () => {
    const build = () => {
      const graph = new OnnxGraphBuilder("same");
      const x = graph.addInput("x", "float", [1]);
      graph.op("Neg", [x], {}, "y");
      graph.addOutput("y", "float", [1]);
      return encodeOnnxModel({ graph: graph.build(), opsetImports: [{ domain: "", version: 17 }] });
    };
    expect(Buffer.from(build()).equals(Buffer.from(build()))).toBe(true);
  });

  it("rejects a tensor whose data does not match its dims", () => {
    const graph = new OnnxGraphBuilder("bad");
    const x = graph.addInput("x", "float", [2]);
    const w = graph.addInitializer("w", "float", [3], new Float32Array(2));
    graph.op("Add", [x, w], {}, "y");
    graph.addOutput("y", "float", [2]);
    expect(() => encodeOnnxModel({ graph: graph.build(), opsetImports: [{ domain: "", version: 17 }] })).toThrow(/need 3 values, got 2/);
  });

  it("refuses to wire an operator to a value that does not exist yet", () => {
    const graph = new OnnxGraphBuilder("dangling");
    expect(() => graph.op("Relu", ["nowhere"])).toThrow(/input nowhere is not defined/);
  });
});
