import type { MiddlewareHandler } from "hono";
import { matchedRoutes } from "hono/route";
import { Counter, Gauge, Histogram, Registry } from "prom-client";
import type { EventRecorder } from "../events/event-recorder.ts";
import type { Logger } from "../log/logger.ts";
import type { ServiceState } from "./service-state.ts";

/**
 * The route a request matched, as registered (`/v1/articles/:id/related`), so metrics and logs
 * group by route and never by article id; "(unmatched)" for a request no route answered.
 */
function routeOf(c: Parameters<MiddlewareHandler>[0]): string {
  const routes = matchedRoutes(c).filter((route) => route.method !== "ALL");
  return routes.at(-1)?.path ?? "(unmatched)";
}

/**
 * Prometheus metrics of one app (its own registry, so several apps in one process, as in the
 * tests, do not mix): requests by route and status, latency histograms by route, and, read
 * when scraped, the engine's article, tombstone, embedding-queue and cache counts and the
 * events counted.
 */
export function createMetrics(state: ServiceState, events: EventRecorder | null) {
  const registry = new Registry();
  const requests = new Counter({
    name: "kindred_http_requests_total",
    help: "HTTP requests by method, route and status",
    labelNames: ["method", "route", "status"],
    registers: [registry],
  });
  const latency = new Histogram({
    name: "kindred_http_request_duration_seconds",
    help: "HTTP request duration by method and route",
    labelNames: ["method", "route"],
    buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 10],
    registers: [registry],
  });
  const engine = () => state.engine;
  new Gauge({
    name: "kindred_articles",
    help: "Articles in the index",
    registers: [registry],
    collect() {
      this.set(engine()?.size() ?? 0);
    },
  });
  new Gauge({
    name: "kindred_graph_tombstones",
    help: "Deleted articles' slots in the HNSW graph until compaction",
    registers: [registry],
    collect() {
      this.set(engine()?.graphStats().tombstones ?? 0);
    },
  });
  new Gauge({
    name: "kindred_graph_slots",
    help: "Nodes in this process's HNSW graph, live or tombstoned (a reader's follows the writer's compactions)",
    registers: [registry],
    collect() {
      this.set(engine()?.indexStats().graphSlots ?? 0);
    },
  });
  new Gauge({
    name: "kindred_lexical_terms",
    help: "Terms of the in-memory lexical channel (those some stored article holds)",
    registers: [registry],
    collect() {
      this.set(engine()?.indexStats().lexicalTerms ?? 0);
    },
  });
  new Gauge({
    name: "kindred_kept_lists_pending",
    help: "Kept lists (each article's own related list) a start found missing and is making in the background",
    registers: [registry],
    collect() {
      this.set(engine()?.keptListsPending() ?? 0);
    },
  });
  new Gauge({
    name: "kindred_embedding_queue_articles",
    help: "Articles accepted for writing and not yet embedded and committed",
    registers: [registry],
    collect() {
      this.set(engine()?.pendingWriteArticles ?? 0);
    },
  });
  new Gauge({
    name: "kindred_accepted_writes_pending",
    help: "Articles acknowledged once durable and not yet embedded, stored and indexed by this process",
    registers: [registry],
    collect() {
      this.set(engine()?.pendingAcceptedArticles ?? 0);
    },
  });
  new Gauge({
    name: "kindred_related_cache_entries",
    help: "Related lists in the result cache",
    registers: [registry],
    collect() {
      this.set(engine()?.cacheStats().entries ?? 0);
    },
  });
  new Gauge({
    name: "kindred_related_cache_bytes",
    help: "Bytes the related lists in the result cache hold, as estimated against its byte bound",
    registers: [registry],
    collect() {
      this.set(engine()?.cacheStats().bytes ?? 0);
    },
  });
  // Counters read from the engine and recorder at scrape time (they count since start).
  new Counter({
    name: "kindred_related_cache_hits_total",
    help: "Related lists answered from the result cache",
    registers: [registry],
    collect() {
      this.reset();
      this.inc(engine()?.cacheStats().hits ?? 0);
    },
  });
  new Counter({
    name: "kindred_related_cache_misses_total",
    help: "Related lists computed (not in the cache, or invalidated)",
    registers: [registry],
    collect() {
      this.reset();
      this.inc(engine()?.cacheStats().misses ?? 0);
    },
  });
  new Counter({
    name: "kindred_events_total",
    help: "Impressions and clicks counted (POST /v1/events)",
    labelNames: ["type"],
    registers: [registry],
    collect() {
      this.reset();
      this.inc({ type: "impression" }, events?.accepted.impression ?? 0);
      this.inc({ type: "click" }, events?.accepted.click ?? 0);
    },
  });
  return { registry, requests, latency };
}

export type Metrics = ReturnType<typeof createMetrics>;

/**
 * One structured log line per request (method, route, status, duration, request id; the path
 * only as its route, and never a header, so no key can reach the logs) and the request metrics.
 */
export function observeRequests(metrics: Metrics, logger: Logger): MiddlewareHandler {
  return async (c, next) => {
    const started = performance.now();
    try {
      await next();
    } finally {
      const seconds = (performance.now() - started) / 1000;
      const route = routeOf(c);
      const status = c.res.status;
      metrics.requests.inc({ method: c.req.method, route, status: String(status) });
      metrics.latency.observe({ method: c.req.method, route }, seconds);
      logger.info({ method: c.req.method, route, status, duration_ms: Math.round(seconds * 1e6) / 1e3, request_id: c.get("requestId" as never) }, "request");
    }
  };
}
