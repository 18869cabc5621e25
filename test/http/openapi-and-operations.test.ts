import { Validator } from "@seriousme/openapi-schema-validator";
import { describe, expect, it } from "vitest";
import { digestApiKey } from "../../src/config/api-keys.ts";
import { createApp } from "../../src/http/app.ts";
import * as responses from "../../src/http/openapi/response-schemas.ts";
import { hegsethId } from "../support/demo-slice.ts";
import { recordingLogger, requestJson } from "../support/http-client.ts";
import { useDemoSliceApp } from "../support/open-test-engine.ts";

const writerKey = "openapi-writer-key-000001";

describe("the OpenAPI document, /docs, /metrics and request logs", () => {
  const slice = useDemoSliceApp(writerKey);

  const openApi = async () => (await requestJson(slice.app, "GET", "/openapi.json")).body as { openapi: string; paths: Record<string, Record<string, any>> };

  it("is a valid OpenAPI 3.1 document (the official 3.1 schema)", async () => {
    const document = await openApi();
    expect(document.openapi).toBe("3.1.0");
    const validator = new Validator();
    const result = await validator.validate(document);
    expect(result.errors).toBeUndefined();
    expect(result.valid).toBe(true);
    expect(validator.version).toBe("3.1");
  });

  it("documents every route the app serves, and every documented route exists", async () => {
    const served = new Set(
      slice.app.routes.filter((route) => route.method !== "ALL").map((route) => `${route.method.toLowerCase()} ${route.path.replace(/\/:(\w+)/g, "/{$1}")}`),
    );
    const document = await openApi();
    const documented = new Set(Object.entries(document.paths).flatMap(([path, operations]) => Object.keys(operations).map((method) => `${method} ${path}`)));
    expect([...served].filter((route) => !documented.has(route))).toEqual([]);
    expect([...documented].filter((route) => !served.has(route))).toEqual([]);
    expect(served.size).toBeGreaterThanOrEqual(18);
  });

  it("takes the query parameters from the schemas that validate them", async () => {
    const document = await openApi();
    const byUrl = document.paths["/v1/related"]!.get;
    const names = byUrl.parameters.map((parameter: { name: string }) => parameter.name);
    expect(names).toEqual(expect.arrayContaining(["url", "k", "topics", "min_cosine", "published_after", "explain"]));
    expect(byUrl.parameters.find((parameter: { name: string }) => parameter.name === "url").required).toBe(true);
    expect(byUrl.parameters.find((parameter: { name: string }) => parameter.name === "k").schema).toMatchObject({ type: "integer", minimum: 1, maximum: 100 });
    const events = document.paths["/v1/events"]!.post;
    expect(Object.keys(events.requestBody.content)).toEqual(["text/plain", "application/json"]);
    expect(events.requestBody.content["application/json"].schema.properties.events.items.properties.type.enum).toEqual(["impression", "click"]);
  });

  it("describes real answers: a related list, an article and a problem parse with the documented schemas", async () => {
    const list = await requestJson(slice.app, "GET", `/v1/articles/${hegsethId}/related?k=3&explain=true`);
    expect(() => responses.relatedListSchema.strict().parse(list.body)).not.toThrow();
    const article = await requestJson(slice.app, "GET", `/v1/articles/${hegsethId}`);
    expect(() => responses.articleSchema.strict().parse(article.body)).not.toThrow();
    const problem = await requestJson(slice.app, "GET", `/v1/articles/${hegsethId}/related?k=0`);
    expect(() => responses.problemSchema.parse(problem.body)).not.toThrow();
  });

  it("serves a reference page from the package itself, with no outside resources", async () => {
    const page = await slice.app.request("/docs");
    expect(page.status).toBe(200);
    const html = await page.text();
    expect(html).toContain('fetch("openapi.json")');
    expect(html).not.toMatch(/(src|href)="https?:/);
  });

  it("exposes Prometheus metrics: requests by route and status, latency, articles, tombstones, queue, cache and events", async () => {
    await slice.app.request(`/v1/articles/${hegsethId}/related?k=3`);
    await slice.app.request(`/v1/articles/${hegsethId}/related?k=3`);
    await slice.app.request("/v1/articles/no-such-article/related");
    const response = await slice.app.request("/metrics");
    expect(response.headers.get("content-type")).toMatch(/^text\/plain/);
    const text = await response.text();
    expect(text).toMatch(/kindred_http_requests_total\{method="GET",route="\/v1\/articles\/:id\/related",status="200"\} ([2-9]|\d\d+)/);
    expect(text).toMatch(/kindred_http_requests_total\{method="GET",route="\/v1\/articles\/:id\/related",status="404"\} 1/);
    expect(text).not.toContain("no-such-article");
    expect(text).toMatch(/kindred_http_request_duration_seconds_bucket\{le="0.005",method="GET",route="\/v1\/articles\/:id\/related"\}/);
    expect(text).toMatch(new RegExp(`kindred_articles ${slice.opened.engine.size()}\\b`));
    for (const name of [
      "kindred_graph_tombstones",
      "kindred_embedding_queue_articles 0",
      // The slice's saved document index holds every kept list.
      "kindred_kept_lists_pending 0",
      "kindred_related_cache_hits_total",
      "kindred_related_cache_misses_total",
      "kindred_events_total",
    ]) {
      expect(text).toContain(name);
    }
    expect(Number(/kindred_related_cache_hits_total (\d+)/.exec(text)![1])).toBeGreaterThanOrEqual(1);
    expect(Number(/kindred_graph_slots (\d+)/.exec(text)![1])).toBeGreaterThanOrEqual(slice.opened.engine.size());
    expect(Number(/kindred_lexical_terms (\d+)/.exec(text)![1])).toBeGreaterThan(0);
  });

  it("logs one structured line per request, with route and request id, never a key or an id from the path", async () => {
    const { logger, lines } = recordingLogger();
    const app = createApp(
      { engine: slice.opened.engine, phase: "ready" },
      { maxRequestBytes: 10_000, maxQueryTextChars: 2_000, logger, apiKeys: [{ name: "cms", scopes: ["write"], sha256: digestApiKey(writerKey) }] },
    );
    await app.request(`/v1/articles/${hegsethId}/related?k=2`, { headers: { "x-request-id": "req-abc-123" } });
    await app.request("/v1/articles/log-probe", { method: "DELETE", headers: { authorization: `Bearer ${writerKey}` } });
    const requests = lines.map((line) => JSON.parse(line) as Record<string, unknown>).filter((line) => line.msg === "request");
    expect(requests).toHaveLength(2);
    expect(requests[0]).toMatchObject({
      method: "GET",
      route: "/v1/articles/:id/related",
      status: 200,
      request_id: "req-abc-123",
      duration_ms: expect.any(Number),
    });
    expect(requests[1]).toMatchObject({ method: "DELETE", route: "/v1/articles/:id", status: 404, request_id: expect.any(String) });
    expect(lines.join("\n")).not.toContain(writerKey);
  });
});
