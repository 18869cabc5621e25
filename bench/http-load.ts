/**
 * HTTP: requests/s and latency of `GET /v1/articles/{id}/related` against `GET /healthz` on
 * the same `kindred serve` process under the same load generator (autocannon, in this
 * process: on 2 cores the server gets one and the generator the other). The ratio is what
 * the related query costs over the bare HTTP stack (computed afresh in the default hybrid
 * ranking and in the dense mode, and served from the related-list cache for a hot set). Each endpoint runs three times: saturated
 * with several connections (throughput; latency then includes queueing), at half that rate
 * (latency under a load the server keeps up with: requests started at even intervals, and
 * again in autocannon's per-second bursts, as older figures were taken), and with one
 * connection (no queue).
 */
import autocannon from "autocannon";
import { startKindredServer, waitForRecallCheck } from "./support/kindred-process.ts";
import { ratioOf, roundTo, summariseLatencies } from "./support/latency-stats.ts";
import { readLoadAverage } from "./support/machine-info.ts";
import { PacedConnections } from "./support/paced-connections.ts";
import { logProgress } from "./support/progress-log.ts";
import { createRandom } from "./support/synthetic-corpus.ts";

export interface LoadFigures {
  connections: number;
  durationS: number;
  /** The rate asked for (half-load runs); absent: as fast as the server answers. */
  targetRate?: number;
  requestsPerSecond: number;
  p50Ms: number;
  p99Ms: number;
  requests: number;
  /** Non-2xx answers and socket errors: any makes the run invalid. */
  failures: number;
  /**
   * Paced runs: how late the generator itself sent its requests (p99 of send time minus due
   * time; it shares the cores with the server), and the p99 latency counted from the send
   * rather than from the due time. A p99 that the send lag explains is the generator's.
   */
  sendLagP99Ms?: number;
  p99FromSendMs?: number;
  /** Paced runs: the connections each HTTP process held, and the requests each answered (`x-kindred-worker`). */
  connectionsByWorker?: Record<string, number>;
  requestsByWorker?: Record<string, number>;
}

export interface EndpointFigures {
  /** As many requests as the server answers: its throughput; latency includes queueing. */
  saturated: LoadFigures;
  /**
   * A steady half of the saturated rate, requests started at even intervals (`pacedLoad`):
   * latency under a load the server keeps up with.
   */
  halfLoad: LoadFigures;
  /**
   * Half the rate as autocannon paces it (`overallRate`), which is how `halfLoad` was measured
   * before: each connection sends back to back until its share of the second is used, then
   * waits for the next second, so the server is saturated in bursts and the latencies are
   * close to the saturated ones. Kept beside the paced run to compare with older figures.
   */
  halfLoadBursts?: LoadFigures;
  /** One request at a time: latency with no queue at all. */
  single: LoadFigures;
}

export interface HttpFigures {
  corpus: string;
  articles: number;
  healthz: EndpointFigures;
  /** A random article each request, the related-list cache off: every list computed (default hybrid ranking). */
  related: EndpointFigures;
  /** The same on a server of one HTTP process (`--http-workers 1`): what the per-query cost alone gives. */
  relatedOneWorker?: EndpointFigures;
  /** HTTP processes of the default server (`--http-workers auto`: one per core). */
  httpWorkers?: number;
  /** The same in the dense mode (`mode=dense`: the embedding alone, no lexical channel). */
  relatedDense: EndpointFigures;
  /** The same on a server with the default cache, asked only for a hot set of articles. */
  relatedCached: EndpointFigures;
  /** related requests/s over /healthz requests/s, saturated. */
  rateRatio: number;
  denseRateRatio: number;
  cachedRateRatio: number;
  loadAverage: number;
}

export interface HttpLoadOptions {
  durationS: number;
  connections: number;
}

export async function measureHttp(dataDir: string, corpus: string, ids: readonly string[], options: HttpLoadOptions): Promise<HttpFigures> {
  const loadBefore = readLoadAverage();
  const random = createRandom(11);
  const pathOf = (id: string, query = "") => `/v1/articles/${encodeURIComponent(id)}/related${query}`;
  // A different article each request, as a site's article pages would ask.
  const anyArticle = () => pathOf(ids[Math.floor(random() * ids.length)]!);
  const anyArticleDense = () => pathOf(ids[Math.floor(random() * ids.length)]!, "?mode=dense");
  // The most-read articles of a site: a set small enough that every list stays cached.
  const hotIds = Array.from({ length: Math.min(hotArticles, ids.length) }, () => ids[Math.floor(random() * ids.length)]!);
  let nextHot = 0;
  const hotArticle = () => pathOf(hotIds[nextHot++ % hotIds.length]!);

  // The related-list cache off: every request computes its list, as the first view of each
  // article page does; then a server with the default cache, asked for the hot set only.
  const uncached = await startKindredServer(dataDir, { env: { KINDRED_RELATED_CACHE_ENTRIES: "0" }, allWorkers: true });
  await settle(uncached.baseUrl, corpus);
  let healthz: EndpointFigures;
  let related: EndpointFigures;
  let relatedDense: EndpointFigures;
  let httpWorkers = 1;
  try {
    httpWorkers = uncached.httpWorkers();
    healthz = await measureEndpoint(uncached.baseUrl, `${corpus} /healthz`, () => "/healthz", options, httpWorkers);
    related = await measureEndpoint(uncached.baseUrl, `${corpus} related-by-id`, anyArticle, options, httpWorkers);
    relatedDense = await measureEndpoint(uncached.baseUrl, `${corpus} related-by-id, dense`, anyArticleDense, options, httpWorkers);
  } finally {
    await uncached.stop();
  }
  const oneWorker = await startKindredServer(dataDir, { env: { KINDRED_RELATED_CACHE_ENTRIES: "0" }, args: ["--http-workers", "1"] });
  await settle(oneWorker.baseUrl, corpus);
  let relatedOneWorker: EndpointFigures;
  try {
    relatedOneWorker = await measureEndpoint(oneWorker.baseUrl, `${corpus} related-by-id, one HTTP process`, anyArticle, options, 1);
  } finally {
    await oneWorker.stop();
  }
  const cached = await startKindredServer(dataDir, { allWorkers: true });
  await settle(cached.baseUrl, corpus);
  let relatedCached: EndpointFigures;
  try {
    for (const id of new Set(hotIds)) await (await fetch(`${cached.baseUrl}${pathOf(id)}`)).arrayBuffer();
    relatedCached = await measureEndpoint(cached.baseUrl, `${corpus} related-by-id, cached`, hotArticle, options, cached.httpWorkers());
  } finally {
    await cached.stop();
  }
  return {
    corpus,
    articles: ids.length,
    healthz,
    related,
    relatedDense,
    relatedCached,
    relatedOneWorker,
    httpWorkers,
    rateRatio: ratioOf(related.saturated.requestsPerSecond, healthz.saturated.requestsPerSecond, 3),
    denseRateRatio: ratioOf(relatedDense.saturated.requestsPerSecond, healthz.saturated.requestsPerSecond, 3),
    cachedRateRatio: ratioOf(relatedCached.saturated.requestsPerSecond, healthz.saturated.requestsPerSecond, 3),
    loadAverage: roundTo((loadBefore + readLoadAverage()) / 2, 2),
  };
}

/**
 * Every server is measured once its start is over: each HTTP process runs the graph's recall
 * self-check after opening the index (engine/graph-recall.ts), in slices that leave requests
 * a few milliseconds' wait, but it still takes a share of the cores for a while.
 */
async function settle(baseUrl: string, corpus: string): Promise<void> {
  const waitedMs = await waitForRecallCheck(baseUrl);
  logProgress(`  ${corpus}: the recall self-check finished ${(waitedMs / 1000).toFixed(1)} s after ready`);
}

/** Articles in the hot set of the cached run (well under the cache's default 10,000 lists). */
const hotArticles = 1_000;

/** Warm-up, then saturated, half-rate and one-connection runs against one endpoint. */
async function measureEndpoint(baseUrl: string, name: string, nextPath: () => string, options: HttpLoadOptions, workers: number): Promise<EndpointFigures> {
  await loadFor(baseUrl, nextPath, Math.min(options.connections, 4), 1); // warm-up (JIT)
  const saturated = await loadFor(baseUrl, nextPath, options.connections, options.durationS);
  const halfRate = Math.max(1, Math.round(saturated.requestsPerSecond / 2));
  const halfLoad = await pacedLoad(baseUrl, nextPath, options.connections, options.durationS, halfRate, workers);
  const halfLoadBursts = await loadFor(baseUrl, nextPath, options.connections, options.durationS, halfRate);
  const single = await loadFor(baseUrl, nextPath, 1, options.durationS);
  logProgress(
    `  ${name}: ${saturated.requestsPerSecond} req/s, p50 ${saturated.p50Ms} ms, p99 ${saturated.p99Ms} ms (${options.connections} connections); ` +
      `at ${halfLoad.requestsPerSecond} req/s evenly paced p50 ${halfLoad.p50Ms} ms, p99 ${halfLoad.p99Ms} ms ` +
      `(generator's send lag p99 ${halfLoad.sendLagP99Ms} ms, p99 from the send ${halfLoad.p99FromSendMs} ms, requests by process ${JSON.stringify(halfLoad.requestsByWorker)}) ` +
      `(in autocannon's per-second bursts p50 ${halfLoadBursts.p50Ms} ms, p99 ${halfLoadBursts.p99Ms} ms); one connection p50 ${single.p50Ms} ms, p99 ${single.p99Ms} ms`,
  );
  return { saturated, halfLoad, halfLoadBursts, single };
}

/**
 * One autocannon run. Latencies are collected from its per-response event rather than its
 * histogram, which records whole milliseconds (too coarse for sub-millisecond answers).
 */
export async function loadFor(baseUrl: string, nextPath: () => string, connections: number, durationS: number, overallRate?: number): Promise<LoadFigures> {
  const latenciesMs: number[] = [];
  const result = await new Promise<autocannon.Result>((resolve, reject) => {
    const instance = autocannon(
      {
        url: baseUrl,
        connections,
        duration: durationS,
        ...(overallRate === undefined ? {} : { overallRate }),
        requests: [{ method: "GET", setupRequest: (request) => ({ ...request, path: nextPath() }) }],
      },
      (error, finished) => (error ? reject(error) : resolve(finished)),
    );
    instance.on("response", (_client, statusCode, _bytes, responseTimeMs) => {
      if (statusCode >= 200 && statusCode < 300) latenciesMs.push(responseTimeMs);
    });
  });
  const latency = summariseLatencies(latenciesMs);
  return {
    connections,
    durationS,
    ...(overallRate === undefined ? {} : { targetRate: overallRate }),
    requestsPerSecond: Math.round(latenciesMs.length / result.duration),
    p50Ms: roundTo(latency.p50Ms, 3),
    p99Ms: roundTo(latency.p99Ms, 3),
    requests: latenciesMs.length,
    failures: result.non2xx + result.errors + result.timeouts,
  };
}

/**
 * `rate` requests a second started at even intervals over `connections` keep-alive
 * connections, for `durationS`. Each latency runs from the moment its request was due, not from
 * when a connection was free, so a server that falls behind shows it (no coordinated omission).
 *
 * The connections are opened before the clock starts, spread evenly over the server's `workers`
 * HTTP processes, and a request goes to the one idle longest (support/paced-connections.ts).
 * Before, one agent reused the most recently freed socket, so most requests went down one or two
 * connections, and the connections themselves were split unevenly between the processes: one
 * process took most of the "half" rate, and connections left idle were closed by the server's
 * keep-alive timeout and opened again mid-run through the cluster primary.
 */
export async function pacedLoad(
  baseUrl: string,
  nextPath: () => string,
  connections: number,
  durationS: number,
  rate: number,
  workers = 1,
): Promise<LoadFigures> {
  const pool = await PacedConnections.open(baseUrl, connections, workers, nextPath);
  const latenciesMs: number[] = [];
  const fromSendMs: number[] = [];
  const sendLagsMs: number[] = [];
  const requestsByWorker: Record<string, number> = {};
  let failures = 0;
  const inFlight = new Set<Promise<void>>();
  const send = async (dueMs: number) => {
    // The generator's own lateness: how long after its due time it got to this request.
    const dispatchedMs = performance.now();
    try {
      const answer = await pool.request(nextPath());
      if (answer.status < 200 || answer.status >= 300) {
        failures++;
        return;
      }
      latenciesMs.push(answer.doneMs - dueMs);
      fromSendMs.push(answer.doneMs - dispatchedMs);
      sendLagsMs.push(dispatchedMs - dueMs);
      requestsByWorker[answer.worker] = (requestsByWorker[answer.worker] ?? 0) + 1;
    } catch {
      failures++;
    }
  };
  const startedMs = performance.now();
  const total = Math.round(rate * durationS);
  const intervalMs = 1000 / rate;
  for (let sent = 0; sent < total; ) {
    // Every request now due goes out (the timer wakes late on a busy machine); then wait for the next.
    while (sent < total && startedMs + sent * intervalMs <= performance.now()) {
      const pending = send(startedMs + sent * intervalMs);
      inFlight.add(pending);
      void pending.then(() => inFlight.delete(pending));
      sent++;
    }
    const nextDueMs = startedMs + sent * intervalMs;
    await new Promise((resolve) => setTimeout(resolve, Math.max(0, nextDueMs - performance.now())));
  }
  await Promise.all(inFlight);
  const elapsedS = (performance.now() - startedMs) / 1000;
  pool.close();
  const latency = summariseLatencies(latenciesMs);
  return {
    connections: pool.size,
    durationS,
    targetRate: rate,
    requestsPerSecond: Math.round(latenciesMs.length / elapsedS),
    p50Ms: roundTo(latency.p50Ms, 3),
    p99Ms: roundTo(latency.p99Ms, 3),
    requests: latenciesMs.length,
    failures,
    sendLagP99Ms: roundTo(summariseLatencies(sendLagsMs).p99Ms, 3),
    p99FromSendMs: roundTo(summariseLatencies(fromSendMs).p99Ms, 3),
    connectionsByWorker: Object.fromEntries(pool.perWorker),
    requestsByWorker,
  };
}
