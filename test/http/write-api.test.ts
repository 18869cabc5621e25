import type { Hono } from "hono";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type ApiKey, digestApiKey } from "../../src/config/api-keys.ts";
import type { OpenedEngine } from "../../src/engine/open-engine.ts";
import { createApp } from "../../src/http/app.ts";
import type { ServiceState } from "../../src/http/service-state.ts";
import { hegsethId, pentagonDenialId } from "../support/demo-slice.ts";
import { recordingLogger, requestJson, waitingForIndexes } from "../support/http-client.ts";
import { CountingEmbedder, openDemoSliceCopy } from "../support/open-test-engine.ts";

const writerKey = "writer-key-0123456789abcdef";
const rotatedInKey = "writer-key-fedcba9876543210";
const readerKey = "reader-key-0123456789abcdef";
const apiKeys: ApiKey[] = [
  { name: "cms", scopes: ["write"], sha256: digestApiKey(writerKey) },
  { name: "cms-next", scopes: ["read", "write"], sha256: digestApiKey(rotatedInKey) },
  { name: "widgets", scopes: ["read"], sha256: digestApiKey(readerKey) },
];
const bearer = (key: string) => ({ authorization: `Bearer ${key}` });
const maxWriteRequestBytes = 200_000;

describe("write API", () => {
  let opened: OpenedEngine;
  let embedder: CountingEmbedder;
  let app: Hono;
  const { logger, lines: logLines } = recordingLogger();
  const state: ServiceState = { engine: null, phase: "opening index" };

  beforeAll(async () => {
    embedder = await CountingEmbedder.start();
    opened = await openDemoSliceCopy(embedder);
    state.engine = opened.engine;
    app = createApp(state, { maxRequestBytes: 10_000, maxQueryTextChars: 2_000, logger, apiKeys, maxWriteRequestBytes });
  });
  afterAll(async () => {
    await opened.close();
    await embedder.close();
  });

  // Answered once in the lists (`wait=true`), what these tests read back; the default is write-acknowledgement.test.ts's.
  const write = (method: string, path: string, body?: unknown, key: string | null = writerKey, headers: Record<string, string> = {}) =>
    requestJson(app, method, waitingForIndexes(path), {
      ...(body === undefined ? {} : { body }),
      headers: { ...(key === null ? {} : bearer(key)), ...headers },
    });
  const relatedIds = async (id: string, query = "k=10") =>
    (await requestJson(app, "GET", `/v1/articles/${id}/related?${query}`)).body.results.map((result: { id: string }) => result.id);
  const expectProblem = (result: { status: number; body: Record<string, any>; response: Response }, status: number, code: string) => {
    expect(result.status).toBe(status);
    expect(result.response.headers.get("content-type")).toMatch(/^application\/problem\+json/);
    expect(result.body).toMatchObject({ status, code });
  };

  describe("API keys", () => {
    const endpoints: [string, string, unknown][] = [
      ["PUT", "/v1/articles/auth-probe", { title: "Probe article about nothing" }],
      ["PATCH", `/v1/articles/${pentagonDenialId}`, { topics: ["probe"] }],
      ["DELETE", `/v1/articles/${pentagonDenialId}`, undefined],
      ["POST", "/v1/articles:batch", { articles: [{ id: "auth-probe", title: "Probe" }] }],
    ];

    it.each(endpoints)("%s %s answers 401 without a key, 401 with a wrong key, 403 with a read-only key", async (method, path, body) => {
      const none = await write(method, path, body, null);
      expectProblem(none, 401, "unauthorized");
      expect(none.response.headers.get("www-authenticate")).toBe('Bearer realm="kindred"');
      expectProblem(await write(method, path, body, "not-a-key-of-ours-0000"), 401, "unauthorized");
      expectProblem(await write(method, path, body, null, { "x-api-key": "not-a-key-of-ours-0000" }), 401, "unauthorized");
      const readOnly = await write(method, path, body, readerKey);
      expectProblem(readOnly, 403, "forbidden");
      expect(readOnly.body.detail).toContain('"widgets"');
      expect(opened.engine.getArticle("auth-probe")).toBeNull();
      expect(opened.engine.getArticle(pentagonDenialId)!.topics).not.toContain("probe");
    });

    it("accepts every configured write key, so keys can be rotated, by either header", async () => {
      expect((await write("PUT", "/v1/articles/rotation-1", { title: "Rotation test one" }, writerKey)).status).toBe(201);
      expect((await write("PUT", "/v1/articles/rotation-2", { title: "Rotation test two" }, rotatedInKey)).status).toBe(201);
      expect((await write("DELETE", "/v1/articles/rotation-1", undefined, null, { "x-api-key": rotatedInKey })).status).toBe(204);
    });

    it("never writes a key to the logs, naming it instead", () => {
      const logs = logLines.join("\n");
      expect(logs).toContain('"key":"widgets"');
      for (const key of [writerKey, rotatedInKey, readerKey, "not-a-key-of-ours-0000"]) expect(logs).not.toContain(key);
    });

    it("answers 401 naming the setting when no key is configured", async () => {
      const keyless = createApp(state, { maxRequestBytes: 10_000, maxQueryTextChars: 2_000, logger });
      const result = await requestJson(keyless, "DELETE", `/v1/articles/${pentagonDenialId}`, { headers: bearer(writerKey) });
      expectProblem(result, 401, "unauthorized");
      expect(opened.engine.getArticle(pentagonDenialId)).not.toBeNull();
      const missing = await requestJson(keyless, "DELETE", `/v1/articles/${pentagonDenialId}`);
      expect(missing.body.detail).toContain("KINDRED_API_KEYS");
    });

    it("keeps reads public by default, and asks for a read key when configured", async () => {
      const path = `/v1/articles/${hegsethId}/related?k=3`;
      const open = await requestJson(app, "GET", path);
      expect(open.status).toBe(200);
      expect(open.response.headers.get("cache-control")).toBe("public, max-age=0, must-revalidate");
      const guarded = createApp(state, { maxRequestBytes: 10_000, maxQueryTextChars: 2_000, logger, apiKeys, readsRequireKey: true });
      expectProblem(await requestJson(guarded, "GET", path), 401, "unauthorized");
      expectProblem(await requestJson(guarded, "GET", `/v1/articles/${hegsethId}`), 401, "unauthorized");
      expectProblem(await requestJson(guarded, "POST", "/v1/related", { body: { text: "cyber" } }), 401, "unauthorized");
      const withReader = await requestJson(guarded, "GET", path, { headers: bearer(readerKey) });
      expect(withReader.status).toBe(200);
      expect(withReader.response.headers.get("cache-control")).toBe("private, max-age=0, must-revalidate");
      expect((await requestJson(guarded, "GET", path, { headers: bearer(writerKey) })).status).toBe(200);
      expect((await requestJson(guarded, "GET", "/readyz")).status).toBe(200);
    });
  });

  describe("PUT, PATCH and DELETE one article", () => {
    const story = {
      title: "Hegseth orders Cyber Command to stop planning operations against Russia",
      text: "The order was given before talks in Saudi Arabia.",
      topics: ["Cyber"],
      published_at: "2025-03-03",
    };

    it("creates with 201 and a Location, re-embeds nothing for an identical PUT, and shows the article in related lists at once", async () => {
      const created = await write("PUT", "/v1/articles/put-1", story);
      expect(created.status).toBe(201);
      expect(created.response.headers.get("location")).toBe("/v1/articles/put-1");
      expect(created.body).toEqual({ id: "put-1", status: "created" });
      expect(await relatedIds(hegsethId, "k=3")).toContain("put-1");
      const embedded = embedder.embeddedTexts;
      expect((await write("PUT", "/v1/articles/put-1", { ...story, id: "put-1" })).body).toEqual({ id: "put-1", status: "unchanged" });
      expect(embedder.embeddedTexts).toBe(embedded);
    });

    it("breaks a write's latency into parts in Server-Timing, and leaves reads without it", async () => {
      const created = await write("PUT", "/v1/articles/timed-1", { ...story, title: "Timing probe: a ministry announces a new budget" });
      expect(created.status).toBe(201);
      const phases = new Map(
        created.response.headers
          .get("server-timing")!
          .split(", ")
          .map((entry) => [entry.split(";")[0]!, Number(/dur=([\d.]+)/.exec(entry)![1])] as const),
      );
      expect([...phases.keys()].sort()).toEqual(["apply", "commit", "embed", "journal", "prepare", "queue"]);
      for (const ms of phases.values()) expect(ms).toBeGreaterThanOrEqual(0);
      const deleted = await write("DELETE", "/v1/articles/timed-1");
      expect(deleted.response.headers.get("server-timing")).toMatch(/^queue;dur=[\d.]+, commit;dur=[\d.]+, apply;dur=[\d.]+$/);
      expect((await requestJson(app, "GET", `/v1/articles/${hegsethId}`)).response.headers.get("server-timing")).toBeNull();
    });

    it("replaces the text with PUT, embedding only that article", async () => {
      const embedded = embedder.embeddedTexts;
      const replaced = await write("PUT", "/v1/articles/put-1", { ...story, title: "Central bank holds interest rates", text: "Inflation is slowing." });
      expect(replaced.body).toEqual({ id: "put-1", status: "updated" });
      expect(embedder.embeddedTexts).toBe(embedded + 1);
      expect(await relatedIds(hegsethId, "k=10")).not.toContain("put-1");
    });

    it("changes metadata with PATCH without the model, and filters see it at once", async () => {
      const embedded = embedder.embeddedTexts;
      const patched = await write("PATCH", `/v1/articles/${pentagonDenialId}`, { topics: ["Pentagon denials"], url: null }, writerKey, {
        "content-type": "application/merge-patch+json",
      });
      expect(patched.body).toEqual({ id: pentagonDenialId, status: "updated" });
      expect(embedder.embeddedTexts).toBe(embedded);
      expect(await relatedIds(hegsethId, "k=5&topics=pentagon%20denials")).toEqual([pentagonDenialId]);
      const stored = await requestJson(app, "GET", `/v1/articles/${pentagonDenialId}`);
      expect(stored.body).toMatchObject({
        topics: ["pentagon denials"],
        url: null,
        published_at: "2025-03-05",
        text: expect.stringContaining("Department of Defense"),
      });
    });

    it.each([
      ["a text field", { title: "New headline" }, 400, "invalid_body", "title"],
      ["an unknown field", { tags: ["x"] }, 400, "unknown_parameter", "tags"],
      ["an invalid date", { published_at: "yesterday" }, 400, "invalid_article", "published_at"],
      ["another article's id", { id: "someone-else" }, 400, "invalid_body", "id"],
    ])("refuses a PATCH with %s", async (_what, body, status, code, parameter) => {
      const result = await write("PATCH", `/v1/articles/${pentagonDenialId}`, body);
      expectProblem(result, status, code);
      expect(result.body.parameter).toBe(parameter);
    });

    it.each([
      ["an id that does not match the path", "PUT", { ...story, id: "other" }, 400, "invalid_body"],
      ["an invalid article", "PUT", { title: "x", published_at: "March 2025" }, 400, "invalid_article"],
      ["an article with neither title nor text", "PUT", { url: "https://example.com/a" }, 400, "invalid_article"],
      ["a body that is not an object", "PUT", [story], 400, "invalid_body"],
      ["a body over the write limit", "PUT", { title: "big", text: "word ".repeat(maxWriteRequestBytes / 4) }, 413, "body_too_large"],
    ])("refuses %s", async (_what, method, body, status, code) => {
      expectProblem(await write(method, "/v1/articles/put-2", body), status, code);
      expect(opened.engine.getArticle("put-2")).toBeNull();
    });

    it("refuses other media types and unknown query parameters", async () => {
      expectProblem(await write("PUT", "/v1/articles/put-2", "title=x", writerKey, { "content-type": "text/plain" }), 415, "unsupported_media_type");
      expectProblem(await write("PUT", "/v1/articles/put-2?force=1", story), 400, "unknown_parameter");
    });

    it("deletes with 204, then answers 404, and the article leaves every list", async () => {
      await write("PUT", "/v1/articles/put-3", story);
      expect(await relatedIds(hegsethId, "k=3")).toContain("put-3");
      expect((await write("DELETE", "/v1/articles/put-3")).status).toBe(204);
      expect(await relatedIds(hegsethId, "k=100")).not.toContain("put-3");
      expectProblem(await write("DELETE", "/v1/articles/put-3"), 404, "article_not_found");
      expectProblem(await requestJson(app, "GET", "/v1/articles/put-3"), 404, "article_not_found");
      expectProblem(await write("PATCH", "/v1/articles/put-3", { topics: [] }), 404, "article_not_found");
    });
  });

  describe("POST /v1/articles:batch", () => {
    it("reports each article: created, updated, unchanged or rejected with reasons, and one bad article rejects no other", async () => {
      const stored = (await requestJson(app, "GET", `/v1/articles/${hegsethId}`)).body;
      const [editedId, retaggedId] = opened.engine.listIds().filter((id) => id !== hegsethId && id !== pentagonDenialId);
      const retagged = (await requestJson(app, "GET", `/v1/articles/${retaggedId}`)).body;
      const embedded = embedder.embeddedTexts;
      const result = await write("POST", "/v1/articles:batch", {
        articles: [
          { id: "batch-new-1", title: "Typhoon makes landfall in the Philippines", published_at: "2025-03-06" },
          stored,
          { id: "batch-bad-date", title: "Something happened", published_at: "last Tuesday" },
          { ...retagged, topics: ["Retagged"] },
          { id: editedId, title: "Orchestra announces its spring season" },
          { id: "batch-empty", url: "https://example.com/empty" },
          { id: "batch-new-1", title: "The same id again" },
          42,
          { id: "batch-new-2", text: "Ceasefire talks resume in Cairo", topics: "Diplomacy|Middle East" },
        ],
      });
      expect(result.status).toBe(200);
      expect(result.body.results).toEqual([
        { index: 0, id: "batch-new-1", status: "created" },
        { index: 1, id: hegsethId, status: "unchanged" },
        { index: 2, id: "batch-bad-date", status: "rejected", errors: [{ field: "published_at", reason: expect.stringContaining("ISO 8601") }] },
        { index: 3, id: retaggedId, status: "updated" },
        { index: 4, id: editedId, status: "updated" },
        { index: 5, id: "batch-empty", status: "rejected", errors: [{ field: "text", reason: expect.stringContaining("title, text or html") }] },
        { index: 6, id: "batch-new-1", status: "rejected", errors: [{ field: "id", reason: expect.stringContaining("index 0") }] },
        { index: 7, id: null, status: "rejected", errors: [expect.objectContaining({ field: "(record)" })] },
        { index: 8, id: "batch-new-2", status: "created" },
      ]);
      expect(result.body).toMatchObject({ created: 2, updated: 2, unchanged: 1, rejected: 4 });
      // The model ran for the two new articles and the one whose text changed, not for the retag.
      expect(embedder.embeddedTexts).toBe(embedded + 3);
      expect(opened.engine.getArticle("batch-new-1")!.title).toBe("Typhoon makes landfall in the Philippines");
      expect(opened.engine.getArticle("batch-bad-date")).toBeNull();
      expect(opened.engine.getArticle(retaggedId!)!.topics).toEqual(["retagged"]);
      expect(opened.engine.getArticle("batch-new-2")!.topics).toEqual(["diplomacy", "middle east"]);
    });

    it("refuses more than 1,000 articles with 413, and a malformed envelope with 400", async () => {
      const many = Array.from({ length: 1_001 }, (_, index) => ({ id: `many-${index}`, title: "t" }));
      expectProblem(await write("POST", "/v1/articles:batch", { articles: many }), 413, "batch_too_large");
      expect(opened.engine.getArticle("many-0")).toBeNull();
      expectProblem(await write("POST", "/v1/articles:batch", {}), 400, "invalid_body");
      expectProblem(await write("POST", "/v1/articles:batch", { articles: [], dry_run: true }), 400, "unknown_parameter");
    });

    it("gives a body over 64 KiB, parsed on the body-parser thread, the same outcomes and problems as a small one", async () => {
      const filler = "Parliament debated the budget again on Thursday. ".repeat(1_600);
      const result = await write("POST", "/v1/articles:batch", {
        articles: [
          { id: "large-batch-1", title: "Budget debate runs long", text: filler },
          { id: "large-batch-bad", title: "Bad date", text: filler, published_at: "last Tuesday" },
          { id: "large-batch-1", title: "The same id again" },
          { id: "large-batch-html", html: `<p>Council <b>votes</b> on harbour plan</p><script>x()</script>` },
        ],
      });
      expect(result.status).toBe(200);
      expect(result.body.results).toEqual([
        { index: 0, id: "large-batch-1", status: "created" },
        { index: 1, id: "large-batch-bad", status: "rejected", errors: [{ field: "published_at", reason: expect.stringContaining("ISO 8601") }] },
        { index: 2, id: "large-batch-1", status: "rejected", errors: [{ field: "id", reason: expect.stringContaining("index 0") }] },
        { index: 3, id: "large-batch-html", status: "created" },
      ]);
      expect(opened.engine.getArticle("large-batch-1")!.body).toBe(filler.trim());
      expect(opened.engine.getArticle("large-batch-html")!.body).toBe("Council votes on harbour plan");

      const put = await write("PUT", "/v1/articles/large-put", { title: "A long report", text: filler });
      expect(put.status).toBe(201);
      expect(opened.engine.getArticle("large-put")!.body).toBe(filler.trim());
      expectProblem(await write("PUT", "/v1/articles/large-put", { id: "other", title: "Mismatch", text: filler }), 400, "invalid_body");
      expectProblem(await write("PUT", "/v1/articles/large-put-bad", { title: "x", text: filler, url: "not a url" }), 400, "invalid_article");
      const many = Array.from({ length: 1_001 }, (_, index) => ({ id: `large-many-${index}`, title: "A title long enough to pass 64 KiB" }));
      expectProblem(await write("POST", "/v1/articles:batch", { articles: many }), 413, "batch_too_large");
      const malformed = await app.request("/v1/articles:batch", {
        method: "POST",
        headers: { ...bearer(writerKey), "content-type": "application/json" },
        body: `{"articles": [{"id": "cut", "text": "${filler}"`,
      });
      expect(malformed.status).toBe(400);
      expect(await malformed.json()).toMatchObject({ code: "invalid_body" });
      expect(opened.engine.getArticle("cut")).toBeNull();
    });

    it("lets reads during a batch see each article before or after, never half", async () => {
      const ids = opened.engine.listIds().slice(10, 40);
      const before = new Map(ids.map((id) => [id, opened.engine.getArticle(id)!.title]));
      const batch = write("POST", "/v1/articles:batch", {
        articles: ids.map((id, index) => ({ id, title: `Rewritten headline number ${index}`, topics: ["rewritten"] })),
      });
      const seen: string[] = [];
      let done = false;
      void batch.finally(() => (done = true));
      while (!done) {
        // Yield to the event loop: the embedding workers answer through it.
        await new Promise((resolve) => setImmediate(resolve));
        for (const id of ids.slice(0, 5)) {
          const article = (await requestJson(app, "GET", `/v1/articles/${id}`)).body;
          const catalog = opened.engine.getEntry(id)!;
          // The database row and the in-memory catalog agree, and the row is whole.
          expect([before.get(id), `Rewritten headline number ${ids.indexOf(id)}`]).toContain(article.title);
          expect(article.topics.includes("rewritten")).toBe(article.title.startsWith("Rewritten"));
          expect(catalog.title).toBe(article.title);
          seen.push(article.title);
        }
      }
      expect((await batch).body).toMatchObject({ updated: 30 });
      expect(seen.length).toBeGreaterThan(0);
    });
  });
});
