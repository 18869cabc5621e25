/**
 * Garbage collection under a paced HTTP load: `kindred serve` (every HTTP process, as the
 * default server runs) started with V8's `--trace-gc-nvp`, computed related-by-id lists asked
 * at an even rate over 10 connections spread over the processes, and each process's collections
 * during the run printed beside the latencies: how many scavenges and full collections, their
 * pauses, the bytes promoted to the old generation, and how many slow requests overlapped a
 * pause. What pinned the two-process p99 of issue 14 (docs/performance.md, "HTTP on both cores").
 *
 *   npx tsx bench/http-gc.ts --data-dir SYN100K [--rate 300] [--seconds 10] [--slow-ms 30] [-- V8 flags]
 *
 * A pause's window is taken from when its trace line arrives (the end of the pause) back by its
 * length; a slow request is counted as overlapping when any process paused during it.
 */
import { spawn } from "node:child_process";
import { parseArgs } from "node:util";
import { randomRelatedPaths, readArticleIds } from "./support/article-ids.ts";
import { findFreePort, repoRoot, waitForRecallCheck } from "./support/kindred-process.ts";
import { summariseLatencies } from "./support/latency-stats.ts";
import { readLoadAverage } from "./support/machine-info.ts";
import { PacedConnections } from "./support/paced-connections.ts";

const { values, positionals } = parseArgs({
  options: {
    "data-dir": { type: "string" },
    rate: { type: "string", default: "300" },
    seconds: { type: "string", default: "10" },
    "slow-ms": { type: "string", default: "30" },
  },
  allowPositionals: true,
});
if (values["data-dir"] === undefined) throw new Error("--data-dir DIR: an indexed data directory (e.g. the benchmark's 100k synthetic one)");
const dataDir = values["data-dir"];
const rate = Number(values.rate);
const seconds = Number(values.seconds);
const slowMs = Number(values["slow-ms"]);

interface Pause {
  pid: string;
  kind: string;
  pauseMs: number;
  /** Marking done inside the pause: near the pause for a full collection whose marking was not incremental. */
  markMs: number;
  promotedBytes: number;
  endMs: number;
}

const ids = readArticleIds(dataDir);
const nextPath = randomRelatedPaths(ids, 11);
const port = await findFreePort();
const child = spawn(
  process.execPath,
  ["--trace-gc-nvp", ...positionals, "bin/kindred.js", "serve", "--data-dir", dataDir, "--port", String(port), "--host", "127.0.0.1", "--log-level", "warn"],
  { cwd: repoRoot, env: { ...process.env, KINDRED_RELATED_CACHE_ENTRIES: "0" }, stdio: ["ignore", "pipe", "inherit"] },
);
const pauses: Pause[] = [];
let workers = 0;
let pending = "";
child.stdout!.on("data", (chunk: Buffer) => {
  const arrivedMs = performance.now();
  pending += chunk.toString();
  for (let end = pending.indexOf("\n"); end >= 0; end = pending.indexOf("\n")) {
    const line = pending.slice(0, end);
    pending = pending.slice(end + 1);
    workers ||= Number(line.match(/(\d+) HTTP workers/)?.[1] ?? 0);
    const fields = Object.fromEntries([...line.matchAll(/(\w[\w.]*)=([\w.]+)/g)].map((match) => [match[1]!, match[2]!]));
    if (fields.gc === undefined || fields.pause === undefined) continue;
    const pid = line.match(/\[(\d+):/)?.[1] ?? "?";
    pauses.push({
      pid,
      kind: fields.gc === "s" ? "scavenge" : "full",
      pauseMs: Number(fields.pause),
      markMs: Number(fields.mark ?? 0),
      promotedBytes: Number(fields.promoted ?? 0),
      endMs: arrivedMs,
    });
  }
});
const exited = new Promise((resolve) => child.once("exit", resolve));
try {
  while (workers === 0) {
    if (child.exitCode !== null) throw new Error("kindred serve exited before it was ready");
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  const baseUrl = `http://127.0.0.1:${port}`;
  await waitForRecallCheck(baseUrl);
  const pool = await PacedConnections.open(baseUrl, 10, workers, nextPath);
  for (let warm = 0; warm < 500; warm++) await pool.request(nextPath());
  const loadBefore = readLoadAverage();
  const requests: { dueMs: number; doneMs: number }[] = [];
  const inFlight = new Set<Promise<void>>();
  const startedMs = performance.now();
  const total = Math.round(rate * seconds);
  for (let sent = 0; sent < total; ) {
    while (sent < total && startedMs + (sent * 1000) / rate <= performance.now()) {
      const dueMs = startedMs + (sent * 1000) / rate;
      const request = pool.request(nextPath()).then((answer) => void requests.push({ dueMs, doneMs: answer.doneMs }));
      inFlight.add(request);
      void request.then(() => inFlight.delete(request));
      sent++;
    }
    await new Promise((resolve) => setTimeout(resolve, Math.max(0, startedMs + (sent * 1000) / rate - performance.now())));
  }
  await Promise.all(inFlight);
  const endedMs = performance.now();
  pool.close();
  const latency = summariseLatencies(requests.map((request) => request.doneMs - request.dueMs));
  console.log(
    `${rate} lists/s for ${seconds} s over ${pool.size} connections, ${workers} HTTP processes (load ${loadBefore.toFixed(1)}-${readLoadAverage().toFixed(1)}; V8 flags: ${positionals.join(" ") || "defaults"}):`,
  );
  console.log(`  latency from the due time p50 ${latency.p50Ms.toFixed(1)} ms, p99 ${latency.p99Ms.toFixed(1)} ms, ${requests.length} requests`);
  const during = pauses.filter((pause) => pause.endMs >= startedMs && pause.endMs - pause.pauseMs <= endedMs);
  for (const pid of new Set(during.map((pause) => pause.pid))) {
    const own = during.filter((pause) => pause.pid === pid);
    const scavenges = own.filter((pause) => pause.kind === "scavenge").map((pause) => pause.pauseMs);
    const full = own.filter((pause) => pause.kind === "full").map((pause) => `${pause.pauseMs.toFixed(1)} (marking ${pause.markMs.toFixed(1)})`);
    const promotedMiB = own.reduce((sum, pause) => sum + pause.promotedBytes, 0) / 2 ** 20;
    console.log(
      `  process ${pid}: ${scavenges.length} scavenges (pause p50 ${summariseLatencies(scavenges).p50Ms.toFixed(1)}, max ${Math.max(0, ...scavenges).toFixed(1)} ms), ` +
        `${full.length} full collections (pauses ${full.join(", ") || "none"} ms), ${promotedMiB.toFixed(1)} MiB promoted`,
    );
  }
  const slow = requests.filter((request) => request.doneMs - request.dueMs > slowMs);
  const overlapping = slow.filter((request) =>
    during.some((pause) => pause.pauseMs >= 5 && pause.endMs >= request.dueMs && pause.endMs - pause.pauseMs <= request.doneMs),
  );
  console.log(`  requests over ${slowMs} ms: ${slow.length}, of which ${overlapping.length} overlapped a pause of 5 ms or more`);
  // One long pause can hold back a whole second's worth of requests on its process, which is enough to make the p99.
  const longest = during.reduce<Pause | undefined>((worst, pause) => (worst === undefined || pause.pauseMs > worst.pauseMs ? pause : worst), undefined);
  if (longest !== undefined) {
    const held = slow.filter((request) => longest.endMs >= request.dueMs && longest.endMs - longest.pauseMs <= request.doneMs).length;
    console.log(
      `  longest pause: ${longest.kind} ${longest.pauseMs.toFixed(1)} ms (marking ${longest.markMs.toFixed(1)} ms) in process ${longest.pid}, overlapping ${held} of the slow requests`,
    );
  }
} finally {
  child.kill("SIGTERM");
  await exited;
}
