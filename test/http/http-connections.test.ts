import type { AddressInfo } from "node:net";
import { type ServerType, serve } from "@hono/node-server";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { digestApiKey } from "../../src/config/api-keys.ts";
import type { OpenedEngine } from "../../src/engine/open-engine.ts";
import { createApp } from "../../src/http/app.ts";
import { hegsethId } from "../support/demo-slice.ts";
import { recordingLogger, requestJson } from "../support/http-client.ts";
import { openDemoSliceCopy } from "../support/open-test-engine.ts";
import { type RawExchange, rawHead, sendRaw } from "../support/raw-http.ts";

const writerKey = "writer-key-0123456789abcdef";
const maxRequestBytes = 1_000_000;
const maxWriteRequestBytes = 100_000;
const healthCheck = rawHead("GET", "/healthz");

/**
 * The rule a client relies on: a response that keeps the connection open is followed by the
 * answer to the next request on it; otherwise it says `Connection: close`.
 */
function expectNoBrokenKeepAlive(exchange: RawExchange, firstStatus: number) {
  expect(exchange.statuses[0], exchange.received.slice(0, 300)).toBe(firstStatus);
  if (exchange.connectionHeaders[0] !== "close") expect(exchange.statuses).toEqual([firstStatus, 200]);
}

describe("HTTP bodies and connections on a real socket", () => {
  let opened: OpenedEngine;
  let server: ServerType;
  let baseUrl: string;
  const { logger, lines: logLines } = recordingLogger();
  const app = () =>
    createApp(
      { engine: opened.engine, phase: "ready" },
      {
        maxRequestBytes,
        maxQueryTextChars: 2_000,
        logger,
        apiKeys: [{ name: "cms", scopes: ["write"], sha256: digestApiKey(writerKey) }],
        maxWriteRequestBytes,
      },
    );

  beforeAll(async () => {
    opened = await openDemoSliceCopy(undefined, { embedWorkers: 1 });
    server = serve({ fetch: app().fetch, port: 0, hostname: "127.0.0.1" });
    await new Promise((resolve) => server.once("listening", resolve));
    baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    await new Promise((resolve) => server.close(resolve));
    await opened.close();
  });

  it("answers a 20 MB body over the write limit with a 413 the client reads after sending it all, and the connection still works", async () => {
    const body = Buffer.alloc(20_000_000, "a");
    const head = rawHead("POST", "/v1/articles:batch", {
      authorization: `Bearer ${writerKey}`,
      "content-type": "application/json",
      "content-length": body.length,
    });
    const exchange = await sendRaw(baseUrl, [head, body, healthCheck]);
    expect(exchange.clientError).toBeNull();
    expectNoBrokenKeepAlive(exchange, 413);
    expect(exchange.received).toContain('"code":"body_too_large"');
  });

  it("answers a 300 KB body of the wrong media type with a 415 and keeps its promise about the connection", async () => {
    const body = Buffer.alloc(300_000, "a");
    const exchange = await sendRaw(baseUrl, [
      rawHead("POST", "/v1/related", { "content-type": "text/plain", "content-length": body.length }),
      body,
      healthCheck,
    ]);
    expect(exchange.clientError).toBeNull();
    expectNoBrokenKeepAlive(exchange, 415);
  });

  it("says Connection: close, or answers the next request, after a chunked body over the limit", async () => {
    const chunk = "a".repeat(60_000);
    const chunked = `${`${chunk.length.toString(16)}\r\n${chunk}\r\n`.repeat(3)}0\r\n\r\n`;
    const exchange = await sendRaw(baseUrl, [
      rawHead("PUT", "/v1/articles/chunked-probe", {
        authorization: `Bearer ${writerKey}`,
        "content-type": "application/json",
        "transfer-encoding": "chunked",
      }),
      chunked,
      healthCheck,
    ]);
    expectNoBrokenKeepAlive(exchange, 413);
  });

  it("answers an unauthorized write without reading its body, and the connection still works", async () => {
    const body = Buffer.alloc(50_000, "a");
    const exchange = await sendRaw(baseUrl, [
      rawHead("POST", "/v1/articles:batch", { "content-type": "application/json", "content-length": body.length }),
      body,
      healthCheck,
    ]);
    expectNoBrokenKeepAlive(exchange, 401);
  });

  it("treats a client that hangs up mid-body as no error: nothing at error level, and the server answers on", async () => {
    const before = logLines.length;
    const partial = '{"text": "The Pentagon paused';
    for (const [method, path] of [
      ["POST", "/v1/related"],
      ["POST", "/v1/articles:batch"],
      ["PUT", "/v1/articles/hang-up-probe"],
    ] as const) {
      const headers = { authorization: `Bearer ${writerKey}`, "content-type": "application/json" };
      await sendRaw(baseUrl, [rawHead(method, path, { ...headers, "content-length": 5_000 }), partial], { hangUp: true });
      await sendRaw(baseUrl, [rawHead(method, path, { ...headers, "transfer-encoding": "chunked" }), `100\r\n${partial}`], { hangUp: true });
    }
    await new Promise((resolve) => setTimeout(resolve, 500));
    const errors = logLines.slice(before).filter((line) => (JSON.parse(line) as { level: number }).level >= 50);
    expect(errors).toEqual([]);
    expect((await fetch(`${baseUrl}/healthz`)).status).toBe(200);
    expect(opened.engine.getArticle("hang-up-probe")).toBeNull();
  });

  describe("query parameters", () => {
    it.each(["__proto__", "constructor", "prototype", "toString", "hasOwnProperty", "__defineGetter__"])(
      "rejects ?%s=x as an unknown parameter",
      async (name) => {
        const result = await requestJson(app(), "GET", `/v1/articles/${hegsethId}/related?${name}=x`);
        expect(result.status).toBe(400);
        expect(result.body).toMatchObject({ code: "unknown_parameter", parameter: name });
      },
    );

    it("rejects __proto__ in a JSON body as an unknown field", async () => {
      const result = await requestJson(app(), "POST", "/v1/related", { body: '{"text": "Cyber operations", "__proto__": {"k": 3}}' });
      expect(result.status).toBe(400);
      expect(result.body).toMatchObject({ code: "unknown_parameter", parameter: "__proto__" });
    });

    it.each(["0x10", "1e1", "0b11", "+5", " 7", "5.0", "Infinity", ""])("rejects k=%j: decimal integers only", async (k) => {
      const result = await requestJson(app(), "GET", `/v1/articles/${hegsethId}/related?k=${encodeURIComponent(k)}`);
      expect(result.status).toBe(400);
      expect(result.body).toMatchObject({ code: "invalid_parameter", parameter: "k" });
    });

    it("accepts a decimal k", async () => {
      const result = await requestJson(app(), "GET", `/v1/articles/${hegsethId}/related?k=16`);
      expect(result.status).toBe(200);
      expect(result.body.results).toHaveLength(16);
    });
  });
});
