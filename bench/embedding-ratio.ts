/**
 * Embedding throughput of the bundled model: the ONNX Runtime path against the TF.js path, on
 * the same inputs and cores, from bench/embed-throughput.ts (run as a child process so its
 * worker threads and native sessions do not share this process; it prints JSON on stdout).
 */
import { fileURLToPath } from "node:url";
import { runNode } from "./support/kindred-process.ts";
import { ratioOf } from "./support/latency-stats.ts";
import { logProgress } from "./support/progress-log.ts";

const throughputScript = fileURLToPath(new URL("./embed-throughput.ts", import.meta.url));

/** One row of bench/embed-throughput.ts's output. */
interface ThroughputRow {
  path: string;
  backend: "tfjs" | "onnx";
  input: string;
  docs: number;
  meanTokens: number;
  docsPerSecond: number;
  cpuMsPerDoc: number;
  loadAverage1m: number;
}

export interface InputFigures {
  input: string;
  meanTokens: number;
  /** The fastest configuration of each backend on this input (both use the same 2 cores). */
  onnx: { path: string; docsPerSecond: number };
  tfjs: { path: string; docsPerSecond: number };
  speedUp: number;
}

export interface EmbeddingFigures {
  arguments: string[];
  inputs: InputFigures[];
  rows: ThroughputRow[];
}

/** Arguments for bench/embed-throughput.ts: its defaults in a full run, a small sample when quick. */
export function embeddingArguments(quick: boolean): string[] {
  return quick ? ["--docs", "48", "--tfjs-docs", "8", "--paths", "tfjs-1,onnx-1"] : [];
}

export async function measureEmbedding(args: readonly string[]): Promise<EmbeddingFigures> {
  const run = await runNode(["--import", "tsx", throughputScript, ...args], (chunk) => {
    for (const line of chunk.split("\n")) if (line.trim() !== "") logProgress(`  ${line.trim()}`);
  });
  if (run.exitCode !== 0) throw new Error(`bench/embed-throughput.ts failed (${run.exitCode}):\n${run.stderr.slice(-2000)}`);
  const output = JSON.parse(run.stdout) as { results: ThroughputRow[] };
  const inputs = [...new Set(output.results.map((row) => row.input))].map((input): InputFigures => {
    const rows = output.results.filter((row) => row.input === input);
    const fastest = (backend: ThroughputRow["backend"]) => {
      const best = rows.filter((row) => row.backend === backend).sort((a, b) => b.docsPerSecond - a.docsPerSecond)[0];
      if (best === undefined) throw new Error(`bench/embed-throughput.ts measured no ${backend} path for input ${input}`);
      return { path: best.path, docsPerSecond: best.docsPerSecond };
    };
    const onnx = fastest("onnx");
    const tfjs = fastest("tfjs");
    return { input, meanTokens: rows[0]!.meanTokens, onnx, tfjs, speedUp: ratioOf(onnx.docsPerSecond, tfjs.docsPerSecond, 1) };
  });
  return { arguments: [...args], inputs, rows: output.results };
}
