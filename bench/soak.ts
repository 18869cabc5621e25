/**
 * A mixed soak against `kindred serve`: 8 connections on loopback send related-by-id queries
 * over random articles, article GETs, PUTs, small batches and DELETEs for `--minutes`; the
 * server's RSS is sampled every 5 s. Then a read-only phase runs at the same request rate, so
 * the two p99s compare at the same load.
 *
 * The rate: a warm-up of `--warmup-minutes` sends the mixed load as fast as the server answers
 * (its rate is the capacity), then both phases are paced at `--load` (default 0.5) of it, or at
 * `--rate` requests/s. Pacing both matters: a saturated closed loop measures queueing (each of
 * the 8 connections waits for the other 7), and a paced read-only phase beside it would not.
 *
 *   npx tsx bench/soak.ts --data-dir INDEX [--minutes 10] [--read-minutes 2] [--connections 8] [--warmup-minutes 0.5] [--load 0.5 | --rate R] [--id-pool N] [--cache-entries N]
 *
 * INDEX is an indexed data directory (it is copied). Prints RSS over time for each server
 * process (primary, writer, readers; or the one server process), the RSS of each at the end of
 * the warm-up, 5 minutes into the mixed phase and at its end, RSS growth over the last 5 minutes
 * of the mixed phase (or its second half when shorter) in total and per process, both latency
 * summaries, the writes' latency by phase (prepare, embed, queue, commit, apply, barrier)
 * from their `Server-Timing` answers, and the writes' freshness (acknowledged -> in every
 * process's lists, p50 / p99, from the writer's /readyz): PUTs and batches are acknowledged
 * once durable (docs/http-api.md, "Acknowledgement"), so their latency no longer holds the
 * embedding.
 */
import { cpSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { get as httpGet } from "node:http";
import { loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { readRssByProcess, startKindredServer } from "./support/kindred-process.ts";
import { type LatencySummary, summariseLatencies } from "./support/latency-stats.ts";
import { parseServerTiming, summariseWritePhases, type WritePhaseSummary } from "./support/server-timing.ts";

const writerKey = "soak-bench-writer-key-0123456789";
export const soakServerEnv = { KINDRED_API_KEYS: `soak:write:${writerKey}` };

export interface SoakPhase {
  seconds: number;
  requests: number;
  ratePerSecond: number;
  failed: number;
  /** The first few failures: method and status, or the error. */
  failures: string[];
  /** p50 / p99 by operation (related, get, put, batch, delete). */
  byOperation: Record<string, { count: number; p50Ms: number; p99Ms: number }>;
  latency: LatencySummary & { maxMs: number };
  /** The reads alone (related and GET): what "reads never wait for writes" is about. */
  reads: LatencySummary & { maxMs: number };
  /**
   * Where the writes' time went, from their `Server-Timing` answers (engine/write-timings.ts):
   * by operation and phase, p50 / p99 / mean over every write, and the phase's mean over the
   * slowest 5% of that operation's writes (what their tail is made of).
   */
  writePhases: Record<string, WritePhaseSummary>;
}

/** RSS of each server process (primary / writer / reader-N, or server) at one moment, MiB. */
export interface RssCheckpoint {
  at: string;
  seconds: number;
  totalMiB: number;
  byProcessMiB: Record<string, number>;
  /**
   * What each HTTP process holds that follows the writes, from its `/metrics`, by
   * `x-kindred-worker` (1 is the writer): graph nodes and tombstones, lexical terms, and the
   * related-list cache (which fills as long as new articles are asked for, up to its bound).
   */
  structuresByWorker: Record<string, Record<string, number>>;
}

export interface SoakFigures {
  /** The unpaced mixed warm-up (its rate is the capacity), when there was one. */
  warmup: SoakPhase | null;
  /** The rate both phases were paced at, requests/s; null: the mixed phase ran unpaced. */
  pacedRatePerSecond: number | null;
  mixed: SoakPhase;
  readOnly: SoakPhase | null;
  /** [seconds since start, RSS MiB] every sample. */
  rssMiB: [number, number][];
  /** RSS growth over the last 5 minutes of the mixed phase (its second half when shorter), in percent. */
  rssGrowthPercent: number;
  /** The same growth for each process of the server, in percent. */
  rssGrowthPercentByProcess: Record<string, number>;
  /** Per-process RSS after the warm-up, 5 minutes into the mixed phase (when it is that long), and at its end. */
  rssCheckpoints: RssCheckpoint[];
  /**
   * Where graph compactions fell: a process's tombstones (its `/metrics`, read every 5 s) fell
   * between two reads (the writer compacted, or a reader took the writer's compacted graph).
   */
  compactions: { seconds: number; worker: string; tombstonesBefore: number; tombstonesAfter: number }[];
  /** p99 of the mixed phase over the read-only phase's p99: all requests, and the reads alone. */
  p99Ratio: { all: number; reads: number } | null;
  /**
   * Freshness: milliseconds from a write's acknowledgement (once durable) to every server process
   * holding it in its lists, as the writer process measures it (its /readyz), over its latest
   * accepted writes (4,096 at most: the warm-up's last ones too when the mixed phase made fewer).
   */
  writeFreshnessMs: { samples: number; p50: number | null; p99: number | null } | null;
  loadAverage: { start: number; end: number };
}

type Operation = "related" | "get" | "put" | "batch" | "delete";

function pickOperation(roll: number): Operation {
  if (roll < 0.6) return "related";
  if (roll < 0.75) return "get";
  if (roll < 0.87) return "put";
  if (roll < 0.93) return "batch";
  return "delete";
}

/**
 * Runs the mixed phase (and a read-only phase at its rate when `readSeconds` > 0) against a
 * running server; `ids` are article ids to query (deleted ones answer 404, which counts as an
 * answer, not a failure).
 */
export async function runSoak(
  baseUrl: string,
  pid: number,
  ids: readonly string[],
  options: {
    seconds: number;
    readSeconds: number;
    connections: number;
    /** Seconds of unpaced mixed load first; 0: none. */
    warmupSeconds?: number;
    /** Share of the warm-up's rate to pace both phases at (default 0.5). */
    load?: number;
    /** Requests/s to pace both phases at (overrides `load`). */
    rate?: number;
    /**
     * Writes reuse this many ids (soak-0 .. soak-N-1) instead of a new id each, so the corpus
     * stops growing and RSS growth is a leak rather than more articles held. Off: every write adds.
     */
    idPool?: number;
    onSample?: (line: string) => void;
  },
): Promise<SoakFigures> {
  const loadStart = loadavg()[0]!;
  const started = performance.now();
  const rssMiB: [number, number][] = [];
  const byProcessSamples: { seconds: number; byProcessMiB: Record<string, number> }[] = [];
  const sample = () => {
    const seconds = Math.round((performance.now() - started) / 1000);
    const byProcessMiB = Object.fromEntries(Object.entries(readRssByProcess(pid)).map(([role, bytes]) => [role, Math.round(bytes / 2 ** 20)]));
    const total = Object.values(byProcessMiB).reduce((sum, value) => sum + value, 0);
    rssMiB.push([seconds, total]);
    byProcessSamples.push({ seconds, byProcessMiB });
    const parts = Object.entries(byProcessMiB).map(([role, mib]) => `${role}=${mib}`);
    options.onSample?.(`t=${seconds}s rss=${total} MiB (${parts.join(" ")})`);
  };
  const checkpoint = async (at: string): Promise<RssCheckpoint> => {
    sample();
    const last = byProcessSamples[byProcessSamples.length - 1]!;
    const structuresByWorker = await readStructuresByWorker(baseUrl);
    return { at, seconds: last.seconds, totalMiB: rssMiB[rssMiB.length - 1]![1], byProcessMiB: last.byProcessMiB, structuresByWorker };
  };
  const rssCheckpoints: RssCheckpoint[] = [];
  const compactions: SoakFigures["compactions"] = [];
  const tombstonesOf: Record<string, number> = {};
  const watchCompactions = async () => {
    const byWorker = await readStructuresByWorker(baseUrl);
    const seconds = Math.round((performance.now() - started) / 1000);
    for (const [worker, gauges] of Object.entries(byWorker)) {
      const before = tombstonesOf[worker];
      const now = gauges.graphTombstones!;
      if (Number.isNaN(now)) continue;
      if (before !== undefined && now < before) {
        compactions.push({ seconds, worker, tombstonesBefore: before, tombstonesAfter: now });
        options.onSample?.(`t=${seconds}s worker ${worker}: graph compacted (tombstones ${before} -> ${now})`);
      }
      tombstonesOf[worker] = now;
    }
  };
  sample();
  const sampler = setInterval(sample, 5_000);
  const compactionWatch = setInterval(() => void watchCompactions().catch(() => undefined), 5_000);
  const live = [...ids];
  let counter = 0;
  const nextWriteId = () => {
    const n = counter++;
    return options.idPool === undefined ? n : n % options.idPool;
  };
  const remember = (written: string) => {
    if (options.idPool === undefined || !live.includes(written)) live.push(written);
  };
  const random = () => Math.random();
  const headers = { authorization: `Bearer ${writerKey}`, "content-type": "application/json" };
  // Distinct texts: one template for every write would make hundreds of near-copies, whose
  // folding (and not the write path) then dominates every related query that meets them.
  const syllables = ["ka", "lo", "mi", "ren", "sto", "va", "tur", "el", "pan", "dor", "si", "gue", "ma", "no", "ber", "xi"];
  const word = () => Array.from({ length: 2 + Math.floor(random() * 3) }, () => syllables[Math.floor(random() * syllables.length)]).join("");
  const pseudoText = (words: number) => Array.from({ length: words }, word).join(" ");
  const send = async (operation: Operation): Promise<{ failure: string | null; serverTiming: string | null }> => {
    const id = live[Math.floor(random() * live.length)]!;
    let response: Response;
    if (operation === "related") response = await fetch(`${baseUrl}/v1/articles/${encodeURIComponent(id)}/related?k=10`);
    else if (operation === "get") response = await fetch(`${baseUrl}/v1/articles/${encodeURIComponent(id)}`);
    else if (operation === "put") {
      const n = nextWriteId();
      response = await fetch(`${baseUrl}/v1/articles/soak-${n}`, {
        method: "PUT",
        headers,
        body: JSON.stringify({ title: `Soak item ${n}: ${pseudoText(6)}`, text: pseudoText(80) }),
      });
      remember(`soak-${n}`);
    } else if (operation === "batch") {
      const articles = Array.from({ length: 10 }, () => {
        const n = nextWriteId();
        return { id: `soak-${n}`, title: `Batch item ${n}: ${pseudoText(6)}`, text: pseudoText(60) };
      });
      response = await fetch(`${baseUrl}/v1/articles:batch`, { method: "POST", headers, body: JSON.stringify({ articles }) });
      for (const article of articles) remember(article.id);
    } else {
      const victim = live.findIndex((candidate) => candidate.startsWith("soak-"));
      const target = victim >= 0 ? live.splice(victim, 1)[0]! : id;
      response = await fetch(`${baseUrl}/v1/articles/${encodeURIComponent(target)}`, { method: "DELETE", headers });
    }
    const text = await response.text();
    return {
      failure: response.status < 300 || response.status === 404 ? null : `${operation} ${response.status} ${text.slice(0, 120)}`,
      serverTiming: response.headers.get("server-timing"),
    };
  };

  const runPhase = async (seconds: number, choose: () => Operation, paceMs: number): Promise<SoakPhase> => {
    const latencies: number[] = [];
    const readLatencies: number[] = [];
    const byOperation = new Map<Operation, number[]>();
    const writeSamples = new Map<Operation, { totalMs: number; phases: Map<string, number> }[]>();
    const failures: string[] = [];
    let failed = 0;
    const phaseStarted = performance.now();
    const deadline = phaseStarted + seconds * 1000;
    await Promise.all(
      Array.from({ length: options.connections }, async () => {
        let next = performance.now();
        while (performance.now() < deadline) {
          const requestStarted = performance.now();
          const operation = choose();
          const { failure, serverTiming } = await send(operation).catch((error: unknown) => ({
            failure: String((error as Error).cause ?? error),
            serverTiming: null,
          }));
          latencies.push(performance.now() - requestStarted);
          if (serverTiming !== null) {
            if (!writeSamples.has(operation)) writeSamples.set(operation, []);
            writeSamples.get(operation)!.push({ totalMs: performance.now() - requestStarted, phases: parseServerTiming(serverTiming) });
          }
          if (operation === "related" || operation === "get") readLatencies.push(performance.now() - requestStarted);
          if (!byOperation.has(operation)) byOperation.set(operation, []);
          byOperation.get(operation)!.push(performance.now() - requestStarted);
          if (failure !== null) {
            failed++;
            if (failures.length < 5) failures.push(failure);
          }
          if (paceMs > 0) {
            next += paceMs;
            const wait = next - performance.now();
            if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
          }
        }
      }),
    );
    const elapsedS = (performance.now() - phaseStarted) / 1000;
    return {
      seconds: Math.round(elapsedS),
      requests: latencies.length,
      ratePerSecond: Math.round((latencies.length / elapsedS) * 10) / 10,
      failed,
      failures,
      byOperation: Object.fromEntries(
        [...byOperation].map(([operation, samples]) => {
          const summary = summariseLatencies(samples);
          return [operation, { count: summary.count, p50Ms: Math.round(summary.p50Ms), p99Ms: Math.round(summary.p99Ms) }];
        }),
      ),
      latency: { ...summariseLatencies(latencies), maxMs: Math.round(Math.max(...latencies)) },
      reads: { ...summariseLatencies(readLatencies), maxMs: Math.round(Math.max(...readLatencies)) },
      writePhases: Object.fromEntries([...writeSamples].map(([operation, samples]) => [operation, summariseWritePhases(samples)])),
    };
  };

  try {
    // The model loads at the first write: let that happen before any rate is measured.
    await send("put");
    const warmup = (options.warmupSeconds ?? 0) > 0 ? await runPhase(options.warmupSeconds!, () => pickOperation(random()), 0) : null;
    rssCheckpoints.push(await checkpoint("after warm-up"));
    const mixedStarted = performance.now();
    const fiveMinutes =
      options.seconds > 300
        ? setTimeout(
            () => void checkpoint("5 minutes into the mixed phase").then((at) => rssCheckpoints.push(at)),
            300_000 - (performance.now() - mixedStarted),
          )
        : null;
    const pacedRate = options.rate ?? (warmup === null ? null : Math.max(0.5, warmup.ratePerSecond * (options.load ?? 0.5)));
    // Each connection paced to its share of the rate.
    const paceMs = (rate: number) => (options.connections * 1000) / rate;
    const mixed = await runPhase(options.seconds, () => pickOperation(random()), pacedRate === null ? 0 : paceMs(pacedRate));
    const mixedEndS = (performance.now() - started) / 1000;
    if (fiveMinutes !== null) clearTimeout(fiveMinutes);
    rssCheckpoints.push(await checkpoint("end of the mixed phase"));
    // Once the writes left in the queue are indexed, so their freshness counts too.
    const writeFreshnessMs = await readWriteFreshness(baseUrl);
    const readOnly =
      options.readSeconds > 0
        ? await runPhase(options.readSeconds, () => (random() < 0.8 ? "related" : "get"), paceMs(pacedRate ?? mixed.ratePerSecond))
        : null;
    const windowS = Math.min(300, mixedEndS / 2);
    const inMixed = rssMiB.filter(([t]) => t <= mixedEndS);
    const from = inMixed.find(([t]) => t >= mixedEndS - windowS) ?? inMixed[0]!;
    const to = inMixed[inMixed.length - 1]!;
    const processesFrom = byProcessSamples[rssMiB.indexOf(from)]!.byProcessMiB;
    const processesTo = byProcessSamples[rssMiB.indexOf(to)]!.byProcessMiB;
    return {
      warmup,
      pacedRatePerSecond: pacedRate,
      mixed,
      readOnly,
      rssMiB,
      rssGrowthPercent: Math.round(((to[1] - from[1]) / from[1]) * 1000) / 10,
      rssGrowthPercentByProcess: Object.fromEntries(
        Object.entries(processesTo)
          .filter(([role]) => processesFrom[role] !== undefined)
          .map(([role, mib]) => [role, Math.round(((mib - processesFrom[role]!) / processesFrom[role]!) * 1000) / 10]),
      ),
      rssCheckpoints,
      compactions,
      p99Ratio:
        readOnly === null
          ? null
          : {
              all: Math.round((mixed.latency.p99Ms / readOnly.latency.p99Ms) * 100) / 100,
              reads: Math.round((mixed.reads.p99Ms / readOnly.latency.p99Ms) * 100) / 100,
            },
      writeFreshnessMs,
      loadAverage: { start: loadStart, end: loadavg()[0]! },
    };
  } finally {
    clearInterval(sampler);
    clearInterval(compactionWatch);
  }
}

const structureGauges = {
  graphSlots: "kindred_graph_slots",
  graphTombstones: "kindred_graph_tombstones",
  lexicalTerms: "kindred_lexical_terms",
  cacheEntries: "kindred_related_cache_entries",
  cacheBytes: "kindred_related_cache_bytes",
};

/** The writer process's freshness figures (`/readyz` of worker 1, or the one process), once no write is pending. */
async function readWriteFreshness(baseUrl: string): Promise<SoakFigures["writeFreshnessMs"]> {
  for (let attempt = 0; attempt < 600; attempt++) {
    const answer = await getOnNewConnection(`${baseUrl}/readyz`).catch(() => null);
    if (answer === null || answer.worker !== "1") continue;
    const ready = JSON.parse(answer.text) as { pending_writes?: number; write_freshness_ms?: SoakFigures["writeFreshnessMs"] };
    if ((ready.pending_writes ?? 0) === 0) return ready.write_freshness_ms ?? null;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return null;
}

/**
 * The structure gauges of every HTTP process: `/metrics` asked on a new connection each time
 * (node:cluster hands connections to the workers in turn) until each has answered once.
 */
async function readStructuresByWorker(baseUrl: string): Promise<Record<string, Record<string, number>>> {
  const byWorker: Record<string, Record<string, number>> = {};
  for (let attempt = 0; attempt < 16; attempt++) {
    const answer = await getOnNewConnection(`${baseUrl}/metrics`).catch(() => null);
    if (answer === null) continue;
    byWorker[answer.worker] = Object.fromEntries(
      Object.entries(structureGauges).map(([name, gauge]) => [name, Number(new RegExp(`^${gauge} (\\S+)$`, "m").exec(answer.text)?.[1] ?? Number.NaN)]),
    );
    if (Object.keys(byWorker).length >= 2 && attempt >= 3) break;
  }
  return byWorker;
}

function getOnNewConnection(url: string): Promise<{ worker: string; text: string }> {
  return new Promise((resolve, reject) => {
    const request = httpGet(url, { agent: false }, (response) => {
      let text = "";
      response.setEncoding("utf8");
      response.on("data", (chunk: string) => (text += chunk));
      response.on("end", () => resolve({ worker: String(response.headers["x-kindred-worker"] ?? "1"), text }));
    });
    request.on("error", reject);
  });
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const { values } = parseArgs({
    options: {
      "data-dir": { type: "string" },
      minutes: { type: "string" },
      "read-minutes": { type: "string" },
      connections: { type: "string" },
      "warmup-minutes": { type: "string" },
      load: { type: "string" },
      rate: { type: "string" },
      "id-pool": { type: "string" },
      "cache-entries": { type: "string" },
      out: { type: "string" },
    },
  });
  if (values["data-dir"] === undefined) {
    process.stderr.write(
      "usage: npx tsx bench/soak.ts --data-dir INDEX [--minutes 10] [--read-minutes 2] [--connections 8] [--warmup-minutes 0.5] [--load 0.5 | --rate R] [--id-pool N] [--cache-entries N] [--out FILE]\n",
    );
    process.exit(2);
  }
  if (values["id-pool"] !== undefined && !(Number.isInteger(Number(values["id-pool"])) && Number(values["id-pool"]) > 0)) {
    process.stderr.write(`--id-pool must be a positive whole number of ids, not "${values["id-pool"]}"\n`);
    process.exit(2);
  }
  const dataDir = join(mkdtempSync(join(tmpdir(), "kindred-soak-")), "index");
  cpSync(values["data-dir"], dataDir, { recursive: true });
  // `--cache-entries 0` takes the related-list cache out of the figures: with random ids over the corpus it only fills.
  const cacheEntries: Record<string, string> = values["cache-entries"] === undefined ? {} : { KINDRED_RELATED_CACHE_ENTRIES: values["cache-entries"] };
  const server = await startKindredServer(dataDir, { env: { ...soakServerEnv, ...cacheEntries } });
  try {
    const ids: string[] = [];
    // Article ids from the related lists of a few known articles would bias the sample; take them from the store instead.
    const { SqliteArticleStore } = await import("../src/store/sqlite-article-store.ts");
    const store = SqliteArticleStore.open(dataDir);
    for (const article of store.listSummaries()) ids.push(article.id);
    store.close();
    const figures = await runSoak(server.baseUrl, server.child.pid!, ids, {
      seconds: Number(values.minutes ?? 10) * 60,
      readSeconds: Number(values["read-minutes"] ?? 2) * 60,
      connections: Number(values.connections ?? 8),
      warmupSeconds: Number(values["warmup-minutes"] ?? 0.5) * 60,
      load: Number(values.load ?? 0.5),
      ...(values.rate === undefined ? {} : { rate: Number(values.rate) }),
      ...(values["id-pool"] === undefined ? {} : { idPool: Number(values["id-pool"]) }),
      onSample: (line) => process.stderr.write(`${line}\n`),
    });
    process.stdout.write(`${JSON.stringify(figures, null, 2)}\n`);
    if (values.out !== undefined) writeFileSync(values.out, `${JSON.stringify(figures, null, 2)}\n`);
  } finally {
    await server.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
}
