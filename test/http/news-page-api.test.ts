import type { Hono } from "hono";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { digestApiKey } from "../../src/config/api-keys.ts";
import { EventRecorder } from "../../src/events/event-recorder.ts";
import { SqliteEventStore } from "../../src/events/sqlite-event-store.ts";
import { createApp } from "../../src/http/app.ts";
import { silentLogger } from "../../src/log/logger.ts";
import { renderRelatedMarkup } from "../../src/widget/related-markup.js";
import { hegsethId, pentagonDenialId } from "../support/demo-slice.ts";
import { requestJson } from "../support/http-client.ts";
import { useDemoSliceApp } from "../support/open-test-engine.ts";
import { useTempDir } from "../support/temp-dir.ts";

const writerKey = "news-page-writer-key-0001";
const readerKey = "news-page-reader-key-0001";
const hegsethUrl = "https://www.nbcnews.com/politics/trump-administration/defense-secretary-pete-hegseth-orders-halt-offensive-cyber-operations-rcna194435";

describe("a news page's API: by URL, display fields, fragment, events", () => {
  const slice = useDemoSliceApp(writerKey);
  const eventsDir = useTempDir("kindred-events-");
  let recorder: EventRecorder;
  let app: Hono;
  beforeAll(() => {
    recorder = new EventRecorder(SqliteEventStore.open(eventsDir), { maxPlacements: 3, retentionDays: 30, flushIntervalMs: 60_000 });
    app = createApp(
      { engine: slice.opened.engine, phase: "ready" },
      {
        maxRequestBytes: 10_000,
        maxQueryTextChars: 2_000,
        logger: silentLogger(),
        apiKeys: [
          { name: "cms", scopes: ["write"], sha256: digestApiKey(writerKey) },
          { name: "analyst", scopes: ["read"], sha256: digestApiKey(readerKey) },
        ],
        events: recorder,
        eventsPerMinutePerClient: 1_000,
      },
    );
  });
  afterAll(() => recorder.close());
  const get = (path: string, headers: Record<string, string> = {}) => requestJson(app, "GET", path, { headers });

  describe("GET /v1/related?url=", () => {
    it("answers the stored article's list for its URL in any form a page reports it", async () => {
      const byId = await get(`/v1/articles/${hegsethId}/related?k=5`);
      expect(byId.status).toBe(200);
      const messy = `${hegsethUrl.replace("https://www.nbcnews.com", "HTTPS://WWW.NBCNews.com:443")}/?utm_source=twitter&fbclid=x#comments`;
      const byUrl = await get(`/v1/related?url=${encodeURIComponent(messy)}&k=5`);
      expect(byUrl.status).toBe(200);
      expect(byUrl.body.article.id).toBe(hegsethId);
      expect(byUrl.body.results.map((r: { id: string }) => r.id)).toEqual(byId.body.results.map((r: { id: string }) => r.id));
      expect(byUrl.body.results[0].id).toBe(pentagonDenialId);
      expect(byUrl.body.recommendation_id).toBe(byId.body.recommendation_id);
      expect(byUrl.response.headers.get("etag")).toBe(byId.response.headers.get("etag"));
    });

    it("takes the by-id list's parameters and rejects unknown ones", async () => {
      const filtered = await get(`/v1/related?url=${encodeURIComponent(hegsethUrl)}&k=2&exclude=${pentagonDenialId}`);
      expect(filtered.body.results).toHaveLength(2);
      expect(filtered.body.results.map((r: { id: string }) => r.id)).not.toContain(pentagonDenialId);
      const unknown = await get(`/v1/related?url=${encodeURIComponent(hegsethUrl)}&colour=red`);
      expect(unknown.status).toBe(400);
      expect(unknown.body).toMatchObject({ code: "unknown_parameter", parameter: "colour" });
    });

    it("answers 304 to the list's ETag", async () => {
      const first = await get(`/v1/related?url=${encodeURIComponent(hegsethUrl)}&k=3`);
      const again = await app.request(`/v1/related?url=${encodeURIComponent(hegsethUrl)}&k=3`, {
        headers: { "if-none-match": first.response.headers.get("etag")! },
      });
      expect(again.status).toBe(304);
    });

    it("answers 404 naming the normalised URL it looked for", async () => {
      const missing = await get(`/v1/related?url=${encodeURIComponent("HTTPS://News.Example/Not/Stored/?utm_medium=email#top")}`);
      expect(missing.status).toBe(404);
      expect(missing.response.headers.get("content-type")).toMatch(/^application\/problem\+json/);
      expect(missing.body).toMatchObject({ code: "url_not_found", url: "https://news.example/Not/Stored" });
      expect(missing.body.detail).toContain("https://news.example/Not/Stored");
    });

    it("answers 400 for a missing or relative URL", async () => {
      expect((await get("/v1/related")).body).toMatchObject({ status: 400, code: "invalid_parameter", parameter: "url" });
      expect((await get("/v1/related?url=%2Fnews%2Fa")).body).toMatchObject({ status: 400, code: "invalid_parameter", parameter: "url" });
    });
  });

  describe("a URL belongs to one live article", () => {
    it("refuses a PUT with another article's URL (409 naming both), and frees a URL when its article is deleted", async () => {
      const clash = await slice.write("PUT", "/v1/articles/url-thief", { title: "Another story", url: `${hegsethUrl}/?utm_source=x` });
      expect(clash.status).toBe(409);
      expect(clash.body).toMatchObject({ code: "url_conflict", conflicting_id: hegsethId, url: hegsethUrl });
      expect(slice.opened.engine.getArticle("url-thief")).toBeNull();
      expect((await slice.write("PUT", "/v1/articles/url-owner", { title: "Owner of a URL", url: "https://news.example/owned" })).status).toBe(201);
      expect((await slice.write("PUT", "/v1/articles/url-next", { title: "Next owner", url: "https://news.example/owned/" })).status).toBe(409);
      expect((await slice.write("DELETE", "/v1/articles/url-owner")).status).toBe(204);
      expect((await slice.write("PUT", "/v1/articles/url-next", { title: "Next owner", url: "https://news.example/owned/" })).status).toBe(201);
      expect((await get(`/v1/related?url=${encodeURIComponent("https://news.example/owned")}&k=1`)).body.article.id).toBe("url-next");
    });

    it("refuses a PATCH to another article's URL", async () => {
      const patched = await requestJson(app, "PATCH", "/v1/articles/url-next", {
        body: { url: hegsethUrl },
        headers: { authorization: `Bearer ${writerKey}`, "content-type": "application/merge-patch+json" },
      });
      expect(patched.status).toBe(409);
      expect(slice.opened.engine.getArticle("url-next")!.url).toBe("https://news.example/owned/");
    });

    it("rejects only the conflicting articles of a batch, and lets a batch move a URL between articles", async () => {
      const batch = await slice.write("POST", "/v1/articles:batch", {
        articles: [
          { id: "batch-url-1", title: "First with a URL", url: "https://news.example/shared" },
          { id: "batch-url-2", title: "Second with the same URL", url: "https://NEWS.example/shared#x" },
          { id: "batch-url-3", title: "Takes the Hegseth URL", url: hegsethUrl },
          { id: "batch-url-4", title: "Fine", url: "https://news.example/fine" },
        ],
      });
      expect(batch.body.results.map((r: { status: string }) => r.status)).toEqual(["created", "rejected", "rejected", "created"]);
      expect(batch.body.results[1].errors[0]).toMatchObject({ field: "url", reason: expect.stringContaining('"batch-url-1"') });
      const swap = await slice.write("POST", "/v1/articles:batch", {
        articles: [
          { id: "batch-url-4", title: "Fine", url: "https://news.example/moved" },
          { id: "batch-url-1", title: "First with a URL", url: "https://news.example/fine" },
        ],
      });
      expect(swap.body.results.map((r: { status: string }) => r.status)).toEqual(["updated", "updated"]);
    });
  });

  describe("display fields", () => {
    it("validates image_url, section and author, stores them and returns them in the article and in lists", async () => {
      const bad = await slice.write("PUT", "/v1/articles/display-1", { title: "Cyber Command pause", image_url: "javascript:alert(1)" });
      expect(bad.status).toBe(400);
      expect(bad.body).toMatchObject({ code: "invalid_article", parameter: "image_url" });
      const article = {
        title: "US Cyber Command pauses planning against Russia, officials say",
        text: "Defense Secretary Pete Hegseth ordered Cyber Command to halt offensive cyber operations against Russia.",
        published_at: "2025-03-03",
        url: "https://news.example/cyber-pause",
        image_url: "https://news.example/img/cyber.jpg",
        section: "Security",
        author: "A. Reporter",
      };
      expect((await slice.write("PUT", "/v1/articles/display-1", article)).status).toBe(201);
      const stored = await get("/v1/articles/display-1");
      expect(stored.body).toMatchObject({ image_url: article.image_url, section: "Security", author: "A. Reporter" });
      const list = await get(`/v1/articles/${hegsethId}/related?k=10`);
      const shown = list.body.results.find((r: { id: string }) => r.id === "display-1");
      expect(shown).toMatchObject({ image_url: article.image_url, section: "Security", author: "A. Reporter" });
      const patched = await requestJson(app, "PATCH", "/v1/articles/display-1", {
        body: { section: "Defence", author: null },
        headers: { authorization: `Bearer ${writerKey}`, "content-type": "application/merge-patch+json" },
      });
      expect(patched.status).toBe(200);
      expect((await get("/v1/articles/display-1")).body).toMatchObject({ section: "Defence", author: null, image_url: article.image_url });
      // The demo corpus carries its portal section.
      expect((await get(`/v1/articles/${hegsethId}`)).body).toMatchObject({ section: "International relations", image_url: null });
    });
  });

  describe("the HTML fragment", () => {
    it("renders the same list as the JSON, escaped, with an ETag and 304", async () => {
      const json = await get(`/v1/articles/${hegsethId}/related?k=5&min_cosine=0.6`);
      const fragment = await app.request(`/v1/articles/${hegsethId}/related.html?k=5`);
      expect(fragment.status).toBe(200);
      expect(fragment.headers.get("content-type")).toBe("text/html; charset=utf-8");
      const html = await fragment.text();
      expect(html).toBe(renderRelatedMarkup(json.body as never, { minResults: 3, heading: "Related" }));
      expect(json.body.results.length).toBeGreaterThanOrEqual(3);
      for (const result of json.body.results) expect(html).toContain(`data-article="${result.id}"`);
      expect(html).toContain(`data-recommendation-id="${json.body.recommendation_id}"`);
      const etag = fragment.headers.get("etag")!;
      expect((await app.request(`/v1/articles/${hegsethId}/related.html?k=5`, { headers: { "if-none-match": etag } })).status).toBe(304);
      const byUrl = await app.request(`/v1/related.html?url=${encodeURIComponent(hegsethUrl)}&k=5`);
      expect(await byUrl.text()).toBe(html);
      // Without k, the site's widgetK (5), not the JSON list's 10.
      expect(await (await app.request(`/v1/articles/${hegsethId}/related.html`)).text()).toBe(html);
    });

    it("escapes what an article says", async () => {
      expect(
        (
          await slice.write("PUT", "/v1/articles/xss-1", {
            title: 'Cyber <script>alert("x")</script> & Russia halt',
            text: "Hegseth cyber operations Russia halt Cyber Command.",
            section: "<b>Sec</b>",
          })
        ).status,
      ).toBe(201);
      const html = await (await app.request(`/v1/articles/${hegsethId}/related.html?k=20&min_cosine=-1`)).text();
      expect(html).toContain("Cyber &#60;script&#62;alert(&#34;x&#34;)&#60;/script&#62; &#38; Russia halt");
      expect(html).not.toContain("<script>");
      expect(html).not.toContain("<b>Sec</b>");
    });

    it("is empty when fewer than min_results results pass the floor", async () => {
      const strict = await app.request(`/v1/articles/${hegsethId}/related.html?k=5&min_cosine=0.99`);
      expect(strict.status).toBe(200);
      expect(await strict.text()).toBe("");
      const fewer = await app.request(`/v1/articles/${hegsethId}/related.html?k=2&min_results=3`);
      expect(await fewer.text()).toBe("");
    });
  });

  describe("impressions, clicks and statistics", () => {
    const send = (body: unknown, contentType = "text/plain;charset=UTF-8") =>
      app.request("/v1/events", { method: "POST", headers: { "content-type": contentType }, body: typeof body === "string" ? body : JSON.stringify(body) });

    it("counts events sent as sendBeacon sends them and reports CTR by placement and position", async () => {
      const list = await get(`/v1/articles/${hegsethId}/related?k=3`);
      const ids = list.body.results.map((r: { id: string }) => r.id) as string[];
      const recommendation_id = list.body.recommendation_id as string;
      for (let view = 0; view < 4; view++) {
        expect(
          (await send({ recommendation_id, placement: "footer", events: ids.map((article, i) => ({ type: "impression", position: i + 1, article })) })).status,
        ).toBe(204);
      }
      expect(
        (await send({ recommendation_id, placement: "footer", events: [{ type: "click", position: 1, article: ids[0] }] }, "application/json")).status,
      ).toBe(204);
      expect((await send({ recommendation_id, placement: "sidebar", events: [{ type: "impression", position: 2, article: ids[1] }] })).status).toBe(204);
      const stats = await get("/v1/stats", { authorization: `Bearer ${readerKey}` });
      expect(stats.status).toBe(200);
      expect(stats.body.totals).toEqual({ impressions: 13, clicks: 1, ctr: 0.076923 });
      const footer = stats.body.placements.find((p: { placement: string }) => p.placement === "footer");
      expect(footer).toMatchObject({ impressions: 12, clicks: 1, ctr: 0.083333 });
      expect(footer.positions).toEqual([
        { position: 1, impressions: 4, clicks: 1, ctr: 0.25 },
        { position: 2, impressions: 4, clicks: 0, ctr: 0 },
        { position: 3, impressions: 4, clicks: 0, ctr: 0 },
      ]);
      const past = await get("/v1/stats?from=2020-01-01&to=2020-01-31", { authorization: `Bearer ${readerKey}` });
      expect(past.body).toMatchObject({ from: "2020-01-01", to: "2020-01-31", totals: { impressions: 0, clicks: 0, ctr: null }, placements: [] });
    });

    it("needs a read key for statistics once keys are configured", async () => {
      expect((await get("/v1/stats")).status).toBe(401);
      expect((await get("/v1/stats", { authorization: `Bearer ${writerKey}` })).status).toBe(200);
      expect((await get("/v1/stats?from=2025-13-01", { authorization: `Bearer ${readerKey}` })).body).toMatchObject({
        code: "invalid_parameter",
        parameter: "from",
      });
    });

    it.each([
      ["not JSON", "{nope", "invalid_body", "(body)"],
      [
        "an unknown event type",
        { recommendation_id: "r1", placement: "footer", events: [{ type: "hover", position: 1, article: hegsethId }] },
        "invalid_body",
        "events.0.type",
      ],
      [
        "a position of 0",
        { recommendation_id: "r1", placement: "footer", events: [{ type: "click", position: 0, article: hegsethId }] },
        "invalid_body",
        "events.0.position",
      ],
      ["no events", { recommendation_id: "r1", placement: "footer", events: [] }, "invalid_body", "events"],
      [
        "a placement with spaces",
        { recommendation_id: "r1", placement: "foot er", events: [{ type: "click", position: 1, article: hegsethId }] },
        "invalid_body",
        "placement",
      ],
      [
        "an unknown field",
        { recommendation_id: "r1", placement: "footer", events: [{ type: "click", position: 1, article: hegsethId }], ip: "1.2.3.4" },
        "unknown_parameter",
        "ip",
      ],
      [
        "an article that is not indexed",
        { recommendation_id: "r1", placement: "footer", events: [{ type: "click", position: 1, article: "made-up" }] },
        "invalid_body",
        "events.0.article",
      ],
    ])("rejects %s with a problem naming the field, counting nothing", async (_name, body, code, parameter) => {
      const before = recorder.stats("2000-01-01", "2999-12-31").totals;
      const response = await send(body);
      expect(response.status).toBe(400);
      expect(await response.json()).toMatchObject({ code, parameter });
      expect(recorder.stats("2000-01-01", "2999-12-31").totals).toEqual(before);
    });

    it("keeps storage bounded: a placement beyond the configured number is refused", async () => {
      const event = (placement: string) => ({ recommendation_id: "r1", placement, events: [{ type: "impression", position: 1, article: hegsethId }] });
      expect((await send(event("third"))).status).toBe(204);
      const refused = await send(event("fourth"));
      expect(refused.status).toBe(400);
      expect(await refused.json()).toMatchObject({ parameter: "placement", detail: expect.stringContaining("eventMaxPlacements") });
      expect((await send(event("footer"))).status).toBe(204);
    });

    it("limits the rate per client with 429 and Retry-After", async () => {
      const limited = createApp(
        { engine: slice.opened.engine, phase: "ready" },
        { maxRequestBytes: 10_000, maxQueryTextChars: 2_000, logger: silentLogger(), events: recorder, eventsPerMinutePerClient: 2 },
      );
      const post = () =>
        limited.request("/v1/events", {
          method: "POST",
          headers: { "content-type": "text/plain" },
          body: JSON.stringify({ recommendation_id: "r1", placement: "footer", events: [{ type: "impression", position: 1, article: hegsethId }] }),
        });
      expect((await post()).status).toBe(204);
      expect((await post()).status).toBe(204);
      const third = await post();
      expect(third.status).toBe(429);
      expect(Number(third.headers.get("retry-after"))).toBeGreaterThanOrEqual(1);
      expect(await third.json()).toMatchObject({ code: "rate_limited" });
    });
  });
});
