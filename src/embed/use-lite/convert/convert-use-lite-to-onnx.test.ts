import { copyFile, mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import ort from "onnxruntime-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { convertUseLiteToOnnx, ensureUseLiteOnnx, findUseLiteSourceDirectory } from "./convert-use-lite-to-onnx.ts";

let workDirectory: string;
let outputDirectory: string;

beforeAll(async () => {
  workDirectory = await mkdtemp(join(tmpdir(), "kindred-use-lite-"));
  outputDirectory = join(workDirectory, "google", "use-lite");
});

afterAll(async () => {
  await rm(workDirectory, { recursive: true, force: true });
});

describe("ensureUseLiteOnnx", () => {
  it("writes a model that onnxruntime loads, with input_ids/attention_mask in and a 512-d sentence_embedding out", async () => {
    const result = await ensureUseLiteOnnx({ outputDirectory });
    expect(result.converted).toBe(true);
    expect((await readdir(outputDirectory)).sort()).toEqual(["config.json", "conversion.json", "onnx", "tokenizer.json", "tokenizer_config.json"]);

    const session = await ort.InferenceSession.create(join(outputDirectory, "onnx", "model.onnx"));
    expect(session.inputNames).toEqual(["input_ids", "attention_mask"]);
    expect(session.outputNames).toEqual(["sentence_embedding"]);
    const ids = new ort.Tensor("int64", BigInt64Array.from([30n, 341n, 4125n, 2n]), [2, 2]);
    const mask = new ort.Tensor("int64", BigInt64Array.from([1n, 1n, 1n, 0n]), [2, 2]);
    const { sentence_embedding: embedding } = await session.run({ input_ids: ids, attention_mask: mask });
    expect(embedding!.dims).toEqual([2, 512]);
    const first = (embedding!.data as Float32Array).subarray(0, 512);
    expect(Math.hypot(...first)).toBeCloseTo(1, 5);
  });

  it("skips a second run when the source hash matches, and redoes it when the output was tampered with", async () => {
    const before = await stat(join(outputDirectory, "onnx", "model.onnx"));
    expect((await ensureUseLiteOnnx({ outputDirectory })).converted).toBe(false);
    expect((await stat(join(outputDirectory, "onnx", "model.onnx"))).mtimeMs).toBe(before.mtimeMs);

    await writeFile(join(outputDirectory, "conversion.json"), JSON.stringify({ converter_version: "0", source_sha256: "stale" }));
    expect((await ensureUseLiteOnnx({ outputDirectory })).converted).toBe(true);
  });

  it("converts deterministically and leaves no temporary directories behind", async () => {
    const first = await readFile(join(outputDirectory, "onnx", "model.onnx"));
    await convertUseLiteToOnnx({ outputDirectory });
    const second = await readFile(join(outputDirectory, "onnx", "model.onnx"));
    expect(first.equals(second)).toBe(true);
    expect(await readdir(join(workDirectory, "google"))).toEqual(["use-lite"]);
  });

  it("survives two conversions racing for the same directory, as two workers starting at once would", async () => {
    const racedDirectory = join(workDirectory, "raced", "use-lite");
    const results = await Promise.all([ensureUseLiteOnnx({ outputDirectory: racedDirectory }), ensureUseLiteOnnx({ outputDirectory: racedDirectory })]);
    expect(results.every((result) => result.sourceSha256 === results[0]!.sourceSha256)).toBe(true);
    expect(await readdir(join(workDirectory, "raced"))).toEqual(["use-lite"]);
    expect((await ensureUseLiteOnnx({ outputDirectory: racedDirectory })).converted).toBe(false);
  });

  it("refuses a model.json whose graph is not the USE Lite structure, naming what differs", async () => {
    const source = findUseLiteSourceDirectory();
    const altered = join(workDirectory, "altered-source");
    await copySourceWithModelJson(source, altered, (modelJson) => {
      const nodes = (modelJson as { modelTopology: { node: { name: string; op: string }[] } }).modelTopology.node;
      const tanh = nodes.find((node) => node.op === "Tanh")!;
      tanh.op = "Sigmoid";
    });
    await expect(convertUseLiteToOnnx({ sourceDirectory: altered, outputDirectory: join(workDirectory, "never") })).rejects.toThrow(
      /operator counts differ: .*Sigmoid: 1 \(expected 0\)/,
    );
    await expect(stat(join(workDirectory, "never"))).rejects.toThrow(/ENOENT/);
  });

  it("refuses weights whose shapes do not fit the architecture", async () => {
    const source = findUseLiteSourceDirectory();
    const altered = join(workDirectory, "reshaped-source");
    await copySourceWithModelJson(source, altered, (modelJson) => {
      const groups = (modelJson as { weightsManifest: { weights: { name: string; shape: number[] }[] }[] }).weightsManifest;
      // Same byte count, different layout: the tanh layer as 256 x 1024.
      const tanh = groups.flatMap((group) => group.weights).find((weight) => weight.name.endsWith("tanh_layer_0/weights"))!;
      tanh.shape = [256, 1024];
    });
    await expect(convertUseLiteToOnnx({ sourceDirectory: altered, outputDirectory: join(workDirectory, "never") })).rejects.toThrow(
      /tanh_layer_0\/weights is 256x1024, expected 512x512/,
    );
  });
});

/** Copies the package's model files, passing model.json through `edit`. */
async function copySourceWithModelJson(source: string, target: string, edit: (modelJson: unknown) => void): Promise<void> {
  await rm(target, { recursive: true, force: true });
  await mkdir(target, { recursive: true });
  for (const file of await readdir(source)) {
    if (file.startsWith("group") || file === "vocab.json") await copyFile(join(source, file), join(target, file));
  }
  const modelJson: unknown = JSON.parse(await readFile(join(source, "model.json"), "utf8"));
  edit(modelJson);
  await writeFile(join(target, "model.json"), JSON.stringify(modelJson));
}
