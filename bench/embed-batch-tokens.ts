/**
 * Model CPU per passage against the batch cap in tokens, in one thread: the first 600 passages
 * of a full-article eval set (the default passage plan), sorted by length and handed over in
 * calls of 32 as the pool does, each cap in turn for 6 rounds (the first a warm-up); prints the
 * median and the best CPU milliseconds a passage per cap. Read from ../shared/eval, never copied.
 *
 *   npx tsx bench/embed-batch-tokens.ts [SET.jsonl] [32x512,32x2048] [google/use-lite-int8]
 *
 * Caps are TEXTSxTOKENS (maxBatchSize x maxBatchTokens of use-lite-onnx-embedder.ts).
 */
import { readFileSync } from "node:fs";
import { loadavg } from "node:os";
import { buildEmbedPassages } from "../src/core/embed-text.ts";
import { createUseLiteOnnxEmbedder } from "../src/embed/use-lite/use-lite-onnx-embedder.ts";

const file = process.argv[2] ?? "../shared/eval/giveme5w1h.jsonl";
const configs = (process.argv[3] ?? "32x512,32x1024,32x2048,32x4096").split(",");
const modelId = process.argv[4] ?? "google/use-lite-int8";
const records = readFileSync(file, "utf8")
  .split("\n")
  .filter(Boolean)
  .map((line) => JSON.parse(line) as { title?: string; text?: string });
const passages = records.flatMap((record) => buildEmbedPassages({ title: record.title ?? "", body: record.text ?? "" })).slice(0, 600);
console.log(`${records.length} articles, ${passages.length} passages, load ${loadavg()[0]}`);
const embedders = await Promise.all(
  configs.map((config) => {
    const [size, tokens] = config.split("x").map(Number);
    return createUseLiteOnnxEmbedder({
      modelId,
      modelDirectory: "models/google/use-lite",
      convertIfNeeded: false,
      maxBatchSize: size!,
      maxBatchTokens: tokens!,
    });
  }),
);
const times: number[][] = configs.map(() => []);
const sorted = [...passages].sort((a, b) => b.length - a.length);
for (let round = 0; round < 6; round++) {
  for (const [index, embedder] of embedders.entries()) {
    const cpu = process.cpuUsage();
    for (let start = 0; start < sorted.length; start += 32) await embedder.embed(sorted.slice(start, start + 32));
    const used = process.cpuUsage(cpu);
    if (round > 0) times[index]!.push((used.user + used.system) / 1000 / passages.length);
  }
}
for (const [index, config] of configs.entries()) {
  const sortedTimes = times[index]!.sort((a, b) => a - b);
  console.log(`${modelId} ${config}: median ${sortedTimes[Math.floor(sortedTimes.length / 2)]!.toFixed(2)} min ${sortedTimes[0]!.toFixed(2)} CPU ms/passage`);
}
console.log(`load ${loadavg()[0]}`);
