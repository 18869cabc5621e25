/**
 * HTTP: requests/s and latency of `GET /v1/articles/{id}/related` against `GET /healthz` on
 * the same `kindred serve` process under the same load generator (autocannon, in this
 * process: on 2 cores the server gets one and the generator the other). The ratio is what
 * the related query costs over the bare HTTP stack. Each endpoint runs twice: saturated with
 * several connections (throughput, and latency including queueing) and with one connection
 * (latency of one request at a time).
 */
import autocannon from "autocannon";
import { createRandom } from "./support/synthetic-corpus.ts";
import { startKindredServer } from "./support/kindred-process.ts";
import { ratioOf, roundTo, summariseLatencies } from "./support/latency-stats.ts";
import { readLoadAverage } from "./support/machine-info.ts";
import { logProgress } from "./support/progress-log.ts";

export interface LoadFigures {
  connections: number;
  durationS: number;
  requestsPerSecond: number;
  p50Ms: number;
  p99Ms: number;
  requests: number;
  /** Non-2xx answers and socket errors: any makes the run invalid. */
  failures: number;
}

export interface EndpointFigures {
  saturated: LoadFigures;
  single: LoadFigures;
}

export interface HttpFigures {
  corpus: string;
  articles: number;
  healthz: EndpointFigures;
  related: EndpointFigures;
  /** related requests/s over /healthz requests/s, saturated. */
  rateRatio: number;
  loadAverage: number;
}

export interface HttpLoadOptions {
  durationS: number;
  connections: number;
}

export async function measureHttp(dataDir: string, corpus: string, ids: readonly string[], options: HttpLoadOptions): Promise<HttpFigures> {
  // The related-list cache off: every request computes its list, as the first view of each
  // article page does (a cache hit costs about what /healthz does, and hit rates are the site's).
  const server = await startKindredServer(dataDir, { env: { KINDRED_RELATED_CACHE_ENTRIES: "0" } });
  const loadBefore = readLoadAverage();
  try {
    const random = createRandom(11);
    // A different article each request, as a site's article pages would ask.
    const relatedPath = () => `/v1/articles/${encodeURIComponent(ids[Math.floor(random() * ids.length)]!)}/related`;
    const healthzPath = () => "/healthz";
    const run = async (name: string, nextPath: () => string): Promise<EndpointFigures> => {
      await loadFor(server.baseUrl, nextPath, Math.min(options.connections, 4), 1); // warm-up (JIT, caches)
      const saturated = await loadFor(server.baseUrl, nextPath, options.connections, options.durationS);
      const single = await loadFor(server.baseUrl, nextPath, 1, options.durationS);
      logProgress(
        `  ${corpus} ${name}: ${saturated.requestsPerSecond} req/s, p50 ${saturated.p50Ms} ms, p99 ${saturated.p99Ms} ms (${options.connections} connections); ` +
          `one connection p50 ${single.p50Ms} ms, p99 ${single.p99Ms} ms`,
      );
      return { saturated, single };
    };
    const healthz = await run("/healthz", healthzPath);
    const related = await run("related-by-id", relatedPath);
    return {
      corpus,
      articles: ids.length,
      healthz,
      related,
      rateRatio: ratioOf(related.saturated.requestsPerSecond, healthz.saturated.requestsPerSecond, 3),
      loadAverage: roundTo((loadBefore + readLoadAverage()) / 2, 2),
    };
  } finally {
    await server.stop();
  }
}

/**
 * One autocannon run. Latencies are collected from its per-response event rather than its
 * histogram, which records whole milliseconds (too coarse for sub-millisecond answers).
 */
async function loadFor(baseUrl: string, nextPath: () => string, connections: number, durationS: number): Promise<LoadFigures> {
  const latenciesMs: number[] = [];
  const result = await new Promise<autocannon.Result>((resolve, reject) => {
    const instance = autocannon(
      {
        url: baseUrl,
        connections,
        duration: durationS,
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
    requestsPerSecond: Math.round(latenciesMs.length / result.duration),
    p50Ms: roundTo(latency.p50Ms, 3),
    p99Ms: roundTo(latency.p99Ms, 3),
    requests: latenciesMs.length,
    failures: result.non2xx + result.errors + result.timeouts,
  };
}
