/**
 * Two builds of kindred against each other over HTTP on a shared machine: both served at once
 * (each checkout from its own root, each on its own copy of one data directory, since a server
 * locks its directory), and computed related-by-id lists paced at `--rate` over 10 connections
 * in bursts of `--seconds` that alternate between them (A then B, then B then A, ...), so the
 * other jobs on the machine fall on both alike. A lone run of each, one after the other, compares
 * two moments of the machine as much as two builds; what the alternation leaves to compare is the
 * build. Per build: each burst's latency p99 from the due time and their median, how many bursts
 * it lost, the server's CPU per request (all its processes, from /proc: what a list costs,
 * however long it waited for a core) and the CPU it used while the other build was measured (its
 * background work). With `--saturate-seconds`, each burst follows that long a run as fast as
 * the build answers (autocannon, 10 connections), as the benchmark's paced run follows its
 * saturated one (bench/http-load.ts). Written for issue 14's paced-p99 gap between two sessions' code
 * (docs/performance.md, "Tenth session").
 *
 *   npx tsx bench/http-ab.ts --a ROOT_A --data-a DIR_A --b ROOT_B --data-b DIR_B
 *     [--http-workers 1] [--rate 180] [--seconds 10] [--rounds 8] [--saturate-seconds 0] [--env NAME=VALUE ...]
 *
 * A root is a checkout with its `dist/` built (`npm run build`); `--env` settings reach both
 * servers (e.g. `KINDRED_HNSW_M=24` for code older than that default, on a graph built with it).
 */
import { parseArgs } from "node:util";
import { loadFor, pacedLoad } from "./http-load.ts";
import { randomRelatedPaths, readArticleIds } from "./support/article-ids.ts";
import { type RunningServer, readServerCpuMs, startKindredServer, waitForRecallCheck } from "./support/kindred-process.ts";
import { readLoadAverage } from "./support/machine-info.ts";
import { twoBuildOptions, twoBuildsFrom } from "./support/two-builds.ts";

const { values } = parseArgs({
  options: {
    ...twoBuildOptions,
    "http-workers": { type: "string", default: "1" },
    rate: { type: "string", default: "180" },
    seconds: { type: "string", default: "10" },
    rounds: { type: "string", default: "8" },
    "saturate-seconds": { type: "string", default: "0" },
    env: { type: "string", multiple: true, default: [] },
  },
});
const { a, b, dataA, dataB } = twoBuildsFrom(values, "built checkouts");
const rate = Number(values.rate);
const seconds = Number(values.seconds);
const rounds = Number(values.rounds);
const saturateSeconds = Number(values["saturate-seconds"]);
const env: Record<string, string> = { KINDRED_RELATED_CACHE_ENTRIES: "0" };
for (const setting of values.env) {
  const [name, value] = setting.split("=", 2);
  if (name === undefined || value === undefined) throw new Error(`--env ${setting}: expected NAME=VALUE`);
  env[name] = value;
}

interface Build {
  name: "A" | "B";
  root: string;
  server: RunningServer;
  burstP99sMs: number[];
  requests: number;
  busyCpuMs: number;
  idleCpuMs: number;
}

const ids = readArticleIds(dataA);
const nextPath = randomRelatedPaths(ids, 11);
const builds: Build[] = [];
try {
  for (const [name, root, dataDir] of [["A", a, dataA] as const, ["B", b, dataB] as const]) {
    const server = await startKindredServer(dataDir, { root, env, args: ["--http-workers", values["http-workers"]], allWorkers: true });
    builds.push({ name, root, server, burstP99sMs: [], requests: 0, busyCpuMs: 0, idleCpuMs: 0 });
    await waitForRecallCheck(server.baseUrl);
  }
  // One burst each unrecorded: code paths compiled, caches and connections warm.
  for (const build of builds) await pacedLoad(build.server.baseUrl, nextPath, 10, Math.min(5, seconds), rate, build.server.httpWorkers());
  const loads: number[] = [];
  for (let round = 0; round < rounds; round++) {
    for (const build of round % 2 === 0 ? builds : [...builds].reverse()) {
      loads.push(readLoadAverage());
      if (saturateSeconds > 0) await loadFor(build.server.baseUrl, nextPath, 10, saturateSeconds);
      const cpuBefore = builds.map((each) => readServerCpuMs(each.server.child.pid!));
      const figures = await pacedLoad(build.server.baseUrl, nextPath, 10, seconds, rate, build.server.httpWorkers());
      if (figures.failures > 0) throw new Error(`${build.name} (${build.root}): ${figures.failures} requests failed`);
      builds.forEach((each, index) => {
        const usedMs = readServerCpuMs(each.server.child.pid!) - cpuBefore[index]!;
        if (each === build) each.busyCpuMs += usedMs;
        else each.idleCpuMs += usedMs;
      });
      build.burstP99sMs.push(figures.p99Ms);
      build.requests += figures.requests;
    }
  }
  console.log(
    `${rate} computed lists/s in ${rounds} bursts of ${seconds} s each, alternating${saturateSeconds > 0 ? `, each after ${saturateSeconds} s saturated` : ""}, ${values["http-workers"]} HTTP process(es) each, load ${Math.min(...loads).toFixed(1)}-${Math.max(...loads).toFixed(1)}:`,
  );
  for (const build of builds) {
    const other = builds.find((each) => each !== build)!;
    const sorted = [...build.burstP99sMs].sort((x, y) => x - y);
    const lost = build.burstP99sMs.filter((p99Ms, round) => p99Ms > other.burstP99sMs[round]!).length;
    console.log(
      `  ${build.name} ${build.root}: burst p99 median ${sorted[Math.floor(sorted.length / 2)]!.toFixed(1)} ms ` +
        `[${build.burstP99sMs.map((p99Ms) => p99Ms.toFixed(1)).join(", ")}], higher than the other's in ${lost} of ${rounds}; ` +
        `CPU ${(build.busyCpuMs / build.requests).toFixed(3)} ms a request, ${((100 * build.idleCpuMs) / (rounds * seconds * 1000)).toFixed(2)}% of a core while idle`,
    );
  }
} finally {
  for (const build of builds) await build.server.stop();
}
