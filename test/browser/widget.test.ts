import { writeFileSync } from "node:fs";
import { join } from "node:path";
import type { Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { useBrowser } from "../support/browser.ts";
import { hegsethId, pentagonDenialId } from "../support/demo-slice.ts";
import { type KindredServer, startKindredServer } from "../support/kindred-server.ts";
import { copyDataDir, useTempDir } from "../support/temp-dir.ts";

const writerKey = "browser-writer-key-000001";
const hegsethUrl = "https://www.nbcnews.com/politics/trump-administration/defense-secretary-pete-hegseth-orders-halt-offensive-cyber-operations-rcna194435";
const loneUrl = "https://news.example/food/sourdough-starter";

// The callbacks given to page.evaluate run in the browser; the project compiles without the DOM library.
declare const document: any;
declare const window: any;

/**
 * The widget in a real Chromium against the real `kindred serve` (demo slice). The test page is
 * put into a document of kindred's own origin (the browser first opens /healthz, then
 * setContent), so these tests do not depend on CORS, which the configuration governs; every
 * request that is not to kindred is answered locally, so nothing leaves the machine.
 */
describe("the widget in a browser", () => {
  const browser = useBrowser();
  const screenshotDir = useTempDir("kindred-screens-");
  let server: KindredServer;
  let base: string;

  beforeAll(async () => {
    server = await startKindredServer(copyDataDir(inject("demoIndexDir")), { KINDRED_API_KEYS: `cms:write:${writerKey}`, KINDRED_EMBED_WORKERS: "1" });
    base = server.baseUrl;
    // An article about nothing else in the slice: its related list has too few good results.
    const response = await fetch(`${base}/v1/articles/lone-sourdough?wait=true`, {
      method: "PUT",
      headers: { authorization: `Bearer ${writerKey}`, "content-type": "application/json" },
      body: JSON.stringify({
        title: "How to keep a sourdough starter alive through the summer",
        text: "Feed the starter twice a day with equal weights of rye flour and water, keep it in a cool cupboard, and discard half before each feeding so the jar never overflows.",
        url: loneUrl,
        published_at: "2025-03-03",
      }),
    });
    expect(response.status).toBe(201);
  });
  afterAll(async () => {
    server.child.kill("SIGTERM");
    await server.exited;
  });

  /** A page of kindred's origin holding `body`, with /widget.js loaded; other hosts answer locally. */
  async function openPage(body: string, options: { width?: number; requests?: string[] } = {}): Promise<Page> {
    const page = await browser().newPage({ viewport: { width: options.width ?? 900, height: 700 } });
    // Recorded from before the page exists, so an early request cannot slip past.
    page.on("request", (request) => void options.requests?.push(request.url()));
    await page.route("**/*", (route) =>
      route.request().url().startsWith(base) ? route.continue() : route.fulfill({ status: 200, contentType: "text/html", body: "<title>elsewhere</title>" }),
    );
    await page.goto(`${base}/healthz`);
    await page.setContent(
      `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>News</title></head><body>${body}<script src="${base}/widget.js"></script></body></html>`,
    );
    return page;
  }

  const jsonList = async (query: string) =>
    (await (await fetch(`${base}/v1/related?${query}`)).json()) as { results: { id: string; title: string }[]; recommendation_id: string };
  const stats = async () =>
    (await (await fetch(`${base}/v1/stats`, { headers: { authorization: `Bearer ${writerKey}` } })).json()) as {
      placements: { placement: string; impressions: number; clicks: number; positions: { position: number; impressions: number; clicks: number }[] }[];
    };
  const placementStats = async (placement: string) => (await stats()).placements.find((row) => row.placement === placement);

  it("shows the related titles of the page's article, linked, best first, as the JSON list has them", async () => {
    const page = await openPage(`<h1>Hegseth halts cyber operations</h1><kindred-related url="${hegsethUrl}" k="5" placement="titles"></kindred-related>`);
    await page.waitForSelector("kindred-related .kindred-related__item");
    const shown = await page.$$eval("kindred-related .kindred-related__item", (items) =>
      items.map((item) => ({
        id: item.getAttribute("data-article"),
        title: item.querySelector(".kindred-related__link")?.textContent,
        href: item.querySelector("a")?.getAttribute("href"),
      })),
    );
    const expected = await jsonList(`url=${encodeURIComponent(hegsethUrl)}&k=5&min_cosine=0.6`);
    expect(shown.map((item) => item.id)).toEqual(expected.results.map((result) => result.id));
    expect(shown.map((item) => item.title)).toEqual(expected.results.map((result) => result.title));
    expect(shown[0]!.id).toBe(pentagonDenialId);
    expect(shown[0]!.href).toMatch(/^https:\/\/thehill\.com\//);
    expect(await page.getAttribute("kindred-related section", "aria-label")).toBe("Related");
    expect(await page.textContent("kindred-related time")).toMatch(/^\d{1,2} (January|February|March) 2025$/);
    await page.close();
  });

  it("counts an impression when the box is seen and a click when a result is followed", async () => {
    const page = await openPage(`<h1>Hegseth</h1><kindred-related url="${hegsethUrl}" k="5" placement="click-test"></kindred-related>`);
    await page.waitForSelector("kindred-related .kindred-related__link");
    await expect.poll(async () => (await placementStats("click-test"))?.impressions ?? 0, { timeout: 15_000 }).toBe(5);
    expect((await placementStats("click-test"))!.clicks).toBe(0);
    await page.click("kindred-related .kindred-related__item:nth-child(2) .kindred-related__link");
    await expect.poll(async () => (await placementStats("click-test"))?.clicks ?? 0, { timeout: 15_000 }).toBe(1);
    const row = (await placementStats("click-test"))!;
    expect(row.positions.find((position) => position.position === 2)).toMatchObject({ impressions: 1, clicks: 1 });
    expect(row.positions.find((position) => position.position === 1)).toMatchObject({ impressions: 1, clicks: 0 });
    await page.close();
  });

  it("shows no box when the article has too few results above the floor", async () => {
    const lone = await jsonList(`url=${encodeURIComponent(loneUrl)}&k=5&min_cosine=0.6`);
    expect(lone.results.length).toBeLessThan(3);
    const page = await openPage(`<h1>Sourdough</h1><kindred-related url="${loneUrl}" k="5" placement="lonely"></kindred-related><p id="after">after</p>`);
    await page.waitForResponse((response) => response.url().includes("/v1/related?"));
    await page.waitForFunction(() => document.querySelector("kindred-related")!.hidden);
    expect(await page.$$("kindred-related .kindred-related__item")).toHaveLength(0);
    expect(await page.innerHTML("kindred-related")).toBe("");
    expect(await page.isVisible("kindred-related")).toBe(false);
    await page.close();
  });

  it("fetches the list only when the box is scrolled near", async () => {
    const requests: string[] = [];
    const page = await openPage(
      `<h1>Long article</h1><div style="height:5000px">text</div><div data-kindred-related data-url="${hegsethUrl}" data-k="3" data-placement="lazy"></div>`,
      { requests },
    );
    const fetched = () => requests.filter((url) => url.includes("/v1/related?"));
    // The script has run (the page's load waited for it); an eager widget would have asked by now.
    await page.waitForFunction(() => window.customElements.get("kindred-related") !== undefined);
    await page.waitForTimeout(1_000);
    expect(fetched()).toEqual([]);
    await page.evaluate(() => window.scrollTo(0, document.body.scrollHeight));
    await page.waitForSelector("[data-kindred-related] .kindred-related__item");
    expect(fetched()).toHaveLength(1);
    expect(await page.$$("[data-kindred-related] .kindred-related__item")).toHaveLength(3);
    await page.close();
  });

  it("can be reached and followed with the keyboard alone", async () => {
    const page = await openPage(`<h1>Hegseth</h1><kindred-related url="${hegsethUrl}" k="3" placement="keyboard"></kindred-related>`);
    await page.waitForSelector("kindred-related .kindred-related__link");
    const focused = async () =>
      page.evaluate(() => ({ className: document.activeElement?.className, article: document.activeElement?.closest("li")?.getAttribute("data-article") }));
    await page.keyboard.press("Tab");
    expect(await focused()).toEqual({ className: "kindred-related__link", article: pentagonDenialId });
    await page.keyboard.press("Tab");
    const second = await focused();
    expect(second.className).toBe("kindred-related__link");
    expect(second.article).not.toBe(pentagonDenialId);
    // Enter follows the link (and counts the click) like a mouse.
    await page.keyboard.press("Enter");
    await expect.poll(async () => (await placementStats("keyboard"))?.clicks ?? 0, { timeout: 15_000 }).toBe(1);
    await page.close();
  });

  it("renders the same list as the server-rendered fragment", async () => {
    const page = await openPage(`<kindred-related id="widget" url="${hegsethUrl}" k="5"></kindred-related><div id="fragment"></div>`);
    await page.waitForSelector("#widget .kindred-related__item");
    const fragment = await (await fetch(`${base}/v1/related.html?url=${encodeURIComponent(hegsethUrl)}&k=5`)).text();
    expect(fragment).toContain(`data-article="${pentagonDenialId}"`);
    // Both parsed by the same browser, so equal markup serialises equally.
    await page.evaluate((html) => (document.getElementById("fragment")!.innerHTML = html), fragment);
    const widgetHtml = await page.innerHTML("#widget");
    expect(await page.innerHTML("#fragment")).toBe(widgetHtml);
    // And a no-JavaScript page including the fragment shows the same titles.
    const noScript = await browser().newPage({ javaScriptEnabled: false });
    await noScript.goto(`${base}/v1/articles/${hegsethId}/related.html?k=5`);
    expect(await noScript.$$eval(".kindred-related__link", (links) => links.map((link) => link.textContent))).toEqual(
      await page.$$eval("#widget .kindred-related__link", (links) => links.map((link) => link.textContent)),
    );
    await noScript.close();
    await page.close();
  });

  it("serves an API reference page that renders every operation of the OpenAPI document", async () => {
    const page = await browser().newPage();
    await page.route("**/*", (route) => (route.request().url().startsWith(base) ? route.continue() : route.abort()));
    await page.goto(`${base}/docs`);
    await page.waitForSelector("details");
    const document = (await (await fetch(`${base}/openapi.json`)).json()) as { paths: Record<string, Record<string, unknown>> };
    const operations = Object.values(document.paths).reduce((sum, methods) => sum + Object.keys(methods).length, 0);
    expect(await page.$$("details")).toHaveLength(operations);
    expect(await page.textContent("#getV1RelatedHtml summary")).toContain("/v1/related.html");
    await page.close();
  });

  it("looks like a related box on a plain article page (screenshot)", async () => {
    const page = await openPage(
      `<style>body{font:17px/1.5 Georgia,serif;max-width:680px;margin:2em auto;color:#222} h1{font-size:1.7em;line-height:1.2} .byline{color:#666;font:14px system-ui,sans-serif}
        kindred-related{--kindred-font:15px/1.4 system-ui,sans-serif;--kindred-link-color:#0b4f8a}</style>
       <article><h1>Hegseth orders a halt to offensive cyber operations against Russia</h1>
       <p class="byline">International relations · 2 March 2025</p>
       <p>United States Secretary of Defense Pete Hegseth orders a halt to offensive cyber operations and information operations against Russia by U.S. Cyber Command.</p>
       <kindred-related url="${hegsethUrl}" k="5" placement="screenshot"></kindred-related></article>`,
      { width: 760 },
    );
    await page.waitForSelector("kindred-related .kindred-related__item");
    const path = process.env.KINDRED_WIDGET_SCREENSHOT ?? join(screenshotDir, "widget.png");
    const png = await page.screenshot({ fullPage: true });
    writeFileSync(path, png);
    expect(png.length).toBeGreaterThan(10_000);
    await page.close();
  });
});
