import type { Hono } from "hono";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { defaultModelId } from "../../src/config/config.ts";
import type { OpenedEngine } from "../../src/engine/open-engine.ts";
import { createApp } from "../../src/http/app.ts";
import type { ServiceState } from "../../src/http/service-state.ts";
import { silentLogger } from "../../src/log/logger.ts";
import { hegsethId, pentagonDenialId } from "../support/demo-slice.ts";
import { openDemoSliceCopy } from "../support/open-test-engine.ts";

const maxRequestBytes = 10_000;
const maxQueryTextChars = 2_000;

describe("HTTP API", () => {
  let opened: OpenedEngine;
  let app: Hono;
  const state: ServiceState = { engine: null, phase: "opening index" };
  beforeAll(async () => {
    opened = await openDemoSliceCopy(undefined, { embedWorkers: 1 });
    app = createApp(state, { maxRequestBytes, maxQueryTextChars, logger: silentLogger() });
  });
  afterAll(() => opened.close());

  const getJson = async (path: string) => {
    const response = await app.request(path);
    return { response, body: (await response.json()) as Record<string, any> };
  };
  const postJson = async (path: string, body: unknown, headers: Record<string, string> = { "content-type": "application/json" }) => {
    const response = await app.request(path, { method: "POST", headers, body: typeof body === "string" ? body : JSON.stringify(body) });
    return { response, body: (await response.json()) as Record<string, any> };
  };
  const expectProblem = (response: Response, body: Record<string, any>, status: number, code: string) => {
    expect(response.status).toBe(status);
    expect(response.headers.get("content-type")).toMatch(/^application\/problem\+json/);
    expect(body).toMatchObject({
      status,
      code,
      type: expect.stringContaining(code.replaceAll("_", "-")),
      title: expect.any(String),
      detail: expect.any(String),
    });
  };

  describe("before the index is open", () => {
    it("is alive but not ready, and related queries answer 503", async () => {
      expect((await app.request("/healthz")).status).toBe(200);
      const ready = await getJson("/readyz");
      expect(ready.response.status).toBe(503);
      expect(ready.body).toMatchObject({ status: "not_ready", phase: "opening index" });
      const related = await getJson(`/v1/articles/${hegsethId}/related`);
      expectProblem(related.response, related.body, 503, "not_ready");
    });
  });

  describe("once ready", () => {
    beforeAll(() => {
      state.engine = opened.engine;
    });

    it("reports readiness with the article count and model", async () => {
      const { response, body } = await getJson("/readyz");
      expect(response.status).toBe(200);
      expect(body).toMatchObject({ status: "ready", model: defaultModelId });
      expect(body.articles).toBeGreaterThan(200);
      // The related-list cache says how much memory it holds, and the graph's recall self-check what it found.
      expect(body.related_cache).toMatchObject({ bytes: expect.any(Number), max_bytes: expect.any(Number) });
      expect(body).toHaveProperty("graph_recall");
    });

    it("lists related articles by id with scores, best first", async () => {
      const { response, body } = await getJson(`/v1/articles/${hegsethId}/related?k=5`);
      expect(response.status).toBe(200);
      expect(response.headers.get("access-control-allow-origin")).toBe("*");
      expect(body.article).toMatchObject({ id: hegsethId });
      expect(body.results).toHaveLength(5);
      expect(body.results[0]).toMatchObject({ id: pentagonDenialId, url: expect.stringContaining("thehill.com"), published_at: "2025-03-05" });
      expect(Object.keys(body.results[0]).sort()).toEqual([
        "author",
        "cosine",
        "id",
        "image_url",
        "published_at",
        "score",
        "section",
        "title",
        "topics",
        "url",
      ]);
      const scores = body.results.map((result: { score: number }) => result.score);
      expect([...scores].sort((a, b) => b - a)).toEqual(scores);
    });

    it("applies topic, date and exclusion filters", async () => {
      const { body } = await getJson(
        `/v1/articles/${hegsethId}/related?k=10&topics=International%20relations,Armed%20conflicts%20and%20attacks&since=2025-03-03&until=2025-03-05&exclude=${pentagonDenialId}`,
      );
      expect(body.results).toHaveLength(10);
      for (const result of body.results) {
        expect(result.id).not.toBe(pentagonDenialId);
        expect(result.published_at >= "2025-03-03" && result.published_at <= "2025-03-05").toBe(true);
        expect(result.topics.some((topic: string) => ["international relations", "armed conflicts and attacks"].includes(topic))).toBe(true);
      }
      const excluded = await getJson(`/v1/articles/${hegsethId}/related?k=100&exclude_topics=armed%20conflicts%20and%20attacks`);
      expect(excluded.body.results.some((result: { topics: string[] }) => result.topics.includes("armed conflicts and attacks"))).toBe(false);
    });

    it.each([
      ["k=0", "k"],
      ["k=101", "k"],
      ["k=ten", "k"],
      ["since=yesterday", "since"],
      ["since=2025-03-05&until=2025-03-01", "since"],
      ["k=5&k=6", "k"],
      ["min_cosine=1.5", "min_cosine"],
      ["min_cosine=high", "min_cosine"],
    ])("answers 400 naming the parameter for %s", async (query, parameter) => {
      const { response, body } = await getJson(`/v1/articles/${hegsethId}/related?${query}`);
      expectProblem(response, body, 400, "invalid_parameter");
      expect(body.parameter).toBe(parameter);
      expect(body.detail).toContain(`"${parameter}"`);
    });

    it("leaves out results below min_cosine, down to none when nothing is that close", async () => {
      const all = await getJson(`/v1/articles/${hegsethId}/related?k=10`);
      const cosines: number[] = all.body.results.map((result: { cosine: number }) => result.cosine);
      const floor = 0.8;
      expect(Math.min(...cosines)).toBeLessThan(floor); // so the floor has something to cut

      const floored = await getJson(`/v1/articles/${hegsethId}/related?k=10&min_cosine=${floor}`);
      expect(floored.response.status).toBe(200);
      expect(floored.body.results.length).toBeGreaterThan(0);
      expect(floored.body.results[0]).toMatchObject({ id: pentagonDenialId });
      for (const result of floored.body.results) expect(result.cosine).toBeGreaterThanOrEqual(floor);

      const none = await getJson(`/v1/articles/${hegsethId}/related?k=10&min_cosine=0.99`);
      expect(none.body.results).toEqual([]);
      const text = await postJson("/v1/related", { text: "The US paused offensive cyber operations against Russia.", k: 10, min_cosine: 0.99 });
      expect(text.response.status).toBe(200);
      expect(text.body.results).toEqual([]);
    });

    it("rejects unknown query parameters", async () => {
      const { response, body } = await getJson(`/v1/articles/${hegsethId}/related?topic=sports`);
      expectProblem(response, body, 400, "unknown_parameter");
      expect(body.detail).toContain('"topic"');
    });

    it("answers 404 problems for an unknown article and an unknown route", async () => {
      const related = await getJson("/v1/articles/no-such-id/related");
      expectProblem(related.response, related.body, 404, "article_not_found");
      const article = await getJson("/v1/articles/no-such-id");
      expectProblem(article.response, article.body, 404, "article_not_found");
      const route = await getJson("/v2/nothing");
      expectProblem(route.response, route.body, 404, "route_not_found");
    });

    it("returns a stored article", async () => {
      const { response, body } = await getJson(`/v1/articles/${pentagonDenialId}`);
      expect(response.status).toBe(200);
      expect(body).toMatchObject({ id: pentagonDenialId, published_at: "2025-03-05", text: expect.stringContaining("Department of Defense") });
    });

    it("answers related articles for a free text without storing it", async () => {
      const { response, body } = await postJson("/v1/related", {
        title: "Cyber Command",
        text: "The US defence secretary ordered a pause in offensive cyber operations against Russia.",
        k: 3,
        filters: { since: "2025-03-01" },
      });
      expect(response.status).toBe(200);
      expect(body.results).toHaveLength(3);
      expect(body.results.map((result: { id: string }) => result.id)).toContain(hegsethId);
      expect((await getJson("/readyz")).body.articles).toBe(opened.engine.size());
    });

    it.each([
      [{ k: 3 }, "text"],
      [{ text: "" }, "text"],
      [{ text: "x".repeat(maxQueryTextChars + 1) }, "text"],
      [{ text: "ok", k: 500 }, "k"],
      [{ text: "ok", filters: { until: "soon" } }, "filters.until"],
    ])("answers 400 for an invalid body %#", async (body, parameter) => {
      const result = await postJson("/v1/related", body);
      expectProblem(result.response, result.body, 400, "invalid_body");
      expect(result.body.parameter).toBe(parameter);
    });

    it("rejects unknown body fields, bad JSON and other media types", async () => {
      const unknown = await postJson("/v1/related", { text: "ok", filter: {} });
      expectProblem(unknown.response, unknown.body, 400, "unknown_parameter");
      const broken = await postJson("/v1/related", "{not json");
      expectProblem(broken.response, broken.body, 400, "invalid_body");
      const form = await postJson("/v1/related", "text=hello", { "content-type": "application/x-www-form-urlencoded" });
      expectProblem(form.response, form.body, 415, "unsupported_media_type");
    });

    it("answers 413 for an oversized body", async () => {
      const { response, body } = await postJson("/v1/related", { text: "word ".repeat(maxRequestBytes) });
      expectProblem(response, body, 413, "body_too_large");
    });
  });
});
