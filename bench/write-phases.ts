/**
 * Where one write's time goes, without the soak's reads around it: `kindred serve` on a copy of
 * an index, then PUTs, batches of 10 and DELETEs sent one at a time (or `--connections N` at
 * once), each answered with its `Server-Timing` phases (engine/write-timings.ts). Prints, per
 * operation, the client's p50 / p90 / p99 and each phase's p50 / p90, and the part of the
 * client's time no phase explains (HTTP, body parsing, forwarding between processes).
 *
 *   npx tsx bench/write-phases.ts --data-dir INDEX [--writes 100] [--connections 1] [--out FILE]
 */
import { cpSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { percentileOf } from "../src/core/percentile.ts";
import { soakServerEnv } from "./soak.ts";
import { startKindredServer, waitForRecallCheck } from "./support/kindred-process.ts";
import { parseServerTiming } from "./support/server-timing.ts";

type Operation = "put" | "batch" | "delete";

const writerKey = soakServerEnv.KINDRED_API_KEYS.split(":")[2]!;
const syllables = ["ka", "lo", "mi", "ren", "sto", "va", "tur", "el", "pan", "dor", "si", "gue", "ma", "no", "ber", "xi"];
const word = () => Array.from({ length: 2 + Math.floor(Math.random() * 3) }, () => syllables[Math.floor(Math.random() * syllables.length)]).join("");
const pseudoText = (words: number) => Array.from({ length: words }, word).join(" ");

async function send(baseUrl: string, operation: Operation, n: number): Promise<{ ms: number; phases: Map<string, number> }> {
  const headers = { authorization: `Bearer ${writerKey}`, "content-type": "application/json" };
  const started = performance.now();
  let response: Response;
  if (operation === "put") {
    response = await fetch(`${baseUrl}/v1/articles/probe-${n}?wait=true`, {
      method: "PUT",
      headers,
      body: JSON.stringify({ title: `Probe item ${n}: ${pseudoText(6)}`, text: pseudoText(80) }),
    });
  } else if (operation === "batch") {
    const articles = Array.from({ length: 10 }, (_, i) => ({ id: `probe-b${n}-${i}`, title: `Batch item ${n}: ${pseudoText(6)}`, text: pseudoText(60) }));
    response = await fetch(`${baseUrl}/v1/articles:batch?wait=true`, { method: "POST", headers, body: JSON.stringify({ articles }) });
  } else {
    response = await fetch(`${baseUrl}/v1/articles/probe-${n}?wait=true`, { method: "DELETE", headers });
  }
  await response.arrayBuffer();
  if (response.status >= 300) throw new Error(`${operation} answered ${response.status}`);
  return { ms: performance.now() - started, phases: parseServerTiming(response.headers.get("server-timing") ?? "") };
}

function summarise(samples: { ms: number; phases: Map<string, number> }[]) {
  const quantiles = (values: number[]) => {
    const sorted = [...values].sort((a, b) => a - b);
    const at = (p: number) => Math.round(percentileOf(sorted, p) * 10) / 10;
    return { p50: at(50), p90: at(90), p99: at(99) };
  };
  const names = [...new Set(samples.flatMap((sample) => [...sample.phases.keys()]))];
  const unexplained = samples.map((sample) => sample.ms - [...sample.phases.values()].reduce((sum, ms) => sum + ms, 0));
  return {
    count: samples.length,
    client: quantiles(samples.map((sample) => sample.ms)),
    phases: Object.fromEntries(names.map((name) => [name, quantiles(samples.map((sample) => sample.phases.get(name) ?? 0))])),
    unexplained: quantiles(unexplained),
  };
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: { "data-dir": { type: "string" }, writes: { type: "string" }, connections: { type: "string" }, out: { type: "string" } },
  });
  if (values["data-dir"] === undefined) throw new Error("--data-dir INDEX is required (an indexed data directory; it is copied)");
  const writes = Number(values.writes ?? 100);
  const connections = Number(values.connections ?? 1);
  const dataDir = join(mkdtempSync(join(tmpdir(), "kindred-write-phases-")), "index");
  cpSync(values["data-dir"], dataDir, { recursive: true });
  const server = await startKindredServer(dataDir, { env: soakServerEnv, allWorkers: true });
  const loadStart = loadavg()[0]!;
  try {
    await waitForRecallCheck(server.baseUrl);
    // The first write loads the model; it is not measured.
    await send(server.baseUrl, "put", -1);
    const results: Record<string, ReturnType<typeof summarise>> = {};
    for (const operation of ["put", "batch", "delete"] as const) {
      const samples: { ms: number; phases: Map<string, number> }[] = [];
      let next = 0;
      const count = operation === "batch" ? Math.ceil(writes / 3) : writes;
      await Promise.all(
        Array.from({ length: connections }, async () => {
          while (next < count) samples.push(await send(server.baseUrl, operation, next++));
        }),
      );
      results[operation] = summarise(samples);
    }
    const figures = { writes, connections, httpWorkers: server.httpWorkers(), loadAverage: { start: loadStart, end: loadavg()[0]! }, results };
    process.stdout.write(`${JSON.stringify(figures, null, 2)}\n`);
    if (values.out !== undefined) writeFileSync(values.out, `${JSON.stringify(figures, null, 2)}\n`);
  } finally {
    await server.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

await main();
