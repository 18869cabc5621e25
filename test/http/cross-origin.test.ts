import type { Hono } from "hono";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { digestApiKey } from "../../src/config/api-keys.ts";
import { loadConfig } from "../../src/config/config.ts";
import type { OpenedEngine } from "../../src/engine/open-engine.ts";
import { createApp } from "../../src/http/app.ts";
import { silentLogger } from "../../src/log/logger.ts";
import { hegsethId } from "../support/demo-slice.ts";
import { openDemoSliceCopy } from "../support/open-test-engine.ts";

const writerKey = "writer-key-0123456789abcdef";
const newsSite = "https://news.example";
const evilSite = "https://evil.example";

describe("CORS", () => {
  let opened: OpenedEngine;
  beforeAll(async () => {
    opened = await openDemoSliceCopy(undefined, { embedWorkers: 1 });
  });
  afterAll(() => opened.close());

  const appWith = (corsOrigins?: readonly string[]): Hono =>
    createApp(
      { engine: opened.engine, phase: "ready" },
      {
        maxRequestBytes: 10_000,
        maxQueryTextChars: 2_000,
        logger: silentLogger(),
        apiKeys: [{ name: "cms", scopes: ["write"], sha256: digestApiKey(writerKey) }],
        ...(corsOrigins === undefined ? {} : { corsOrigins }),
      },
    );
  const preflight = (app: Hono, path: string, origin: string, method: string, requestHeaders = "content-type") =>
    app.request(path, { method: "OPTIONS", headers: { origin, "access-control-request-method": method, "access-control-request-headers": requestHeaders } });
  const corsHeaders = (response: Response) => [...response.headers.keys()].filter((name) => name.startsWith("access-control-"));

  const writes: [string, string][] = [
    ["POST", "/v1/articles:batch"],
    ["PUT", `/v1/articles/${hegsethId}`],
    ["PATCH", `/v1/articles/${hegsethId}`],
    ["DELETE", `/v1/articles/${hegsethId}`],
  ];

  describe("write endpoints never answer a cross-origin preflight", () => {
    for (const corsOrigins of [undefined, ["*"], [newsSite]]) {
      it.each(writes)(`%s %s is refused with 403 and no CORS headers (corsOrigins ${JSON.stringify(corsOrigins ?? "default")})`, async (method, path) => {
        const app = appWith(corsOrigins);
        for (const origin of [evilSite, newsSite]) {
          const response = await preflight(app, path, origin, method, "authorization,content-type");
          expect(response.status).toBe(403);
          expect(corsHeaders(response)).toEqual([]);
          expect(await response.json()).toMatchObject({ code: "cross_origin_refused" });
        }
      });
    }

    it("gives a cross-origin write no CORS headers, so a browser page cannot read what it did", async () => {
      const response = await appWith().request("/v1/articles:batch", {
        method: "POST",
        headers: { origin: evilSite, authorization: `Bearer ${writerKey}`, "content-type": "application/json" },
        body: JSON.stringify({ articles: [] }),
      });
      expect(response.status).toBe(202); // accepted (nothing to write): answered once durable
      expect(corsHeaders(response)).toEqual([]);
    });
  });

  describe("reads answer the configured origins", () => {
    it("answers any origin by default (corsOrigins *)", async () => {
      const app = appWith();
      const read = await app.request(`/v1/articles/${hegsethId}/related?k=3`, { headers: { origin: evilSite } });
      expect(read.status).toBe(200);
      expect(read.headers.get("access-control-allow-origin")).toBe("*");
      expect(read.headers.get("access-control-expose-headers")).toContain("ETag");
      const pre = await preflight(app, "/v1/related", evilSite, "POST");
      expect(pre.status).toBe(204);
      expect(pre.headers.get("access-control-allow-origin")).toBe("*");
      // /v1/related is both the by-text POST and the by-URL GET
      expect(pre.headers.get("access-control-allow-methods")).toBe("GET, POST");
      expect(pre.headers.get("access-control-allow-headers")?.toLowerCase()).toContain("content-type");
    });

    it("answers the widget's calls from any origin by default: the list by URL, the fragment, the events", async () => {
      const app = appWith();
      for (const path of [`/v1/related?url=${encodeURIComponent("https://nowhere.example/none")}`, `/v1/articles/${hegsethId}/related.html?k=3`]) {
        const read = await app.request(path, { headers: { origin: evilSite } });
        expect(read.headers.get("access-control-allow-origin"), path).toBe("*");
      }
      const pre = await preflight(app, "/v1/events", evilSite, "POST");
      expect(pre.status).toBe(204);
      expect(pre.headers.get("access-control-allow-origin")).toBe("*");
    });

    it("answers only the listed origins when corsOrigins lists some", async () => {
      const app = appWith([newsSite, "https://other.example:8443"]);
      for (const path of [`/v1/articles/${hegsethId}/related?k=3`, `/v1/articles/${hegsethId}`]) {
        const listed = await app.request(path, { headers: { origin: newsSite } });
        expect(listed.status).toBe(200);
        expect(listed.headers.get("access-control-allow-origin")).toBe(newsSite);
        expect(listed.headers.get("vary")).toContain("Origin");
        const unlisted = await app.request(path, { headers: { origin: evilSite } });
        expect(unlisted.status).toBe(200);
        expect(corsHeaders(unlisted)).toEqual([]);
        expect(unlisted.headers.get("vary")).toContain("Origin");
      }
      const listedPreflight = await preflight(app, "/v1/related", newsSite, "POST");
      expect(listedPreflight.status).toBe(204);
      expect(listedPreflight.headers.get("access-control-allow-origin")).toBe(newsSite);
      const readByIdPreflight = await preflight(app, `/v1/articles/${hegsethId}/related`, "https://other.example:8443", "GET", "authorization");
      expect(readByIdPreflight.status).toBe(204);
      const unlistedPreflight = await preflight(app, "/v1/related", evilSite, "POST");
      expect(unlistedPreflight.status).toBe(403);
      expect(corsHeaders(unlistedPreflight)).toEqual([]);
      const post = await app.request("/v1/related", {
        method: "POST",
        headers: { origin: newsSite, "content-type": "application/json" },
        body: JSON.stringify({ text: "The Pentagon paused cyber operations against Russia.", k: 2 }),
      });
      expect(post.status).toBe(200);
      expect(post.headers.get("access-control-allow-origin")).toBe(newsSite);
    });

    it("answers no origin when corsOrigins is empty", async () => {
      const app = appWith([]);
      const read = await app.request(`/v1/articles/${hegsethId}/related?k=3`, { headers: { origin: newsSite } });
      expect(corsHeaders(read)).toEqual([]);
      expect((await preflight(app, "/v1/related", newsSite, "POST")).status).toBe(403);
    });
  });

  describe("the corsOrigins setting", () => {
    it("defaults to * and reads a list from the environment or the config file", () => {
      expect(loadConfig({ env: {}, flags: {} }).corsOrigins).toEqual(["*"]);
      expect(loadConfig({ env: { KINDRED_CORS_ORIGINS: "https://news.example, https://m.news.example/" } }).corsOrigins).toEqual([
        "https://news.example",
        "https://m.news.example",
      ]);
      expect(loadConfig({ env: {}, flags: { corsOrigins: [] } }).corsOrigins).toEqual([]);
    });

    it("refuses an origin with a path, naming the setting", () => {
      expect(() => loadConfig({ env: { KINDRED_CORS_ORIGINS: "https://news.example/widgets" } })).toThrow(/KINDRED_CORS_ORIGINS: each origin must be/);
    });
  });
});
