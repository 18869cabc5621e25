/**
 * Whether retiring a replaced HNSW graph gives its native memory back: a graph of `--nodes`
 * random unit vectors (512 dimensions) is built and saved, a second is loaded from the file
 * (what a compaction's swap or a reader taking the writer's graph holds for a moment), then the
 * first is dropped either by `retire()` (released at once) or, with `--no-retire`, only by
 * losing its last reference (what the code did before: freed whenever V8 collects the wrapper).
 * Prints the process's VmRSS (/proc/self/status) at each step; a forced collection at the end
 * and a pause for the finalisers show what a late GC would have given back.
 *
 *   node --expose-gc --import tsx bench/graph-release-rss.ts [--nodes 30000] [--no-retire] [--rounds 3]
 */
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { HnswVectorIndex } from "../src/vectors/hnsw-vector-index.ts";

const { values } = parseArgs({ options: { nodes: { type: "string" }, "no-retire": { type: "boolean" }, rounds: { type: "string" } } });
const nodes = Number(values.nodes ?? 30000);
const rounds = Number(values.rounds ?? 3);
const retire = values["no-retire"] !== true;
const dimensions = 512;
const parameters = { m: 16, efConstruction: 40, efSearch: 64 };
const gc = (globalThis as { gc?: () => void }).gc;

function rssMiB(): number {
  const line = readFileSync("/proc/self/status", "utf8").match(/^VmRSS:\s+(\d+) kB$/m);
  return Math.round(Number(line![1]) / 102.4) / 10;
}

function randomUnit(seed: number): Float32Array {
  const vector = new Float32Array(dimensions);
  let state = seed * 2654435761;
  let norm = 0;
  for (let i = 0; i < dimensions; i++) {
    state = (state * 1103515245 + 12345) % 2147483648;
    vector[i] = state / 2147483648 - 0.5;
    norm += vector[i]! * vector[i]!;
  }
  const scale = 1 / Math.sqrt(norm);
  for (let i = 0; i < dimensions; i++) vector[i]! *= scale;
  return vector;
}

const dir = mkdtempSync(join(tmpdir(), "kindred-graph-rss-"));
const path = join(dir, "graph.hnsw");
const lines: string[] = [`nodes ${nodes}, ${retire ? "retire()" : "no retire (dropped reference)"}`];
const step = (what: string) => lines.push(`${what.padEnd(44)} VmRSS ${rssMiB()} MiB`);
try {
  step("start");
  let graph = HnswVectorIndex.create(dimensions, parameters, Math.ceil(nodes * 1.25));
  for (let label = 0; label < nodes; label++) graph.upsert(label, randomUnit(label + 1));
  graph.writeTo(path);
  step("first graph built and saved");
  for (let round = 1; round <= rounds; round++) {
    const next = HnswVectorIndex.load(path, dimensions, parameters, []);
    step(`round ${round}: second graph loaded (both held)`);
    if (retire) graph.retire();
    graph = next;
    step(`round ${round}: old graph ${retire ? "retired" : "dropped"}`);
  }
  gc?.();
  step(`after a forced GC${gc === undefined ? " (not available: --expose-gc)" : ""}`);
  // Native finalisers run after the collection, on a later turn of the event loop.
  await new Promise((resolve) => setTimeout(resolve, 500));
  step("500 ms later");
} finally {
  rmSync(dir, { recursive: true, force: true });
}
process.stdout.write(`${lines.join("\n")}\n`);
