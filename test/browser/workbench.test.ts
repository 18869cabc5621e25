import { readFileSync } from "node:fs";
import type { AddressInfo } from "node:net";
import { type ServerType, serve } from "@hono/node-server";
import type { Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { OpenedEngine } from "../../src/engine/open-engine.ts";
import { useBrowser, waitForExpression } from "../support/browser.ts";
import { hegsethId, pentagonDenialId } from "../support/demo-slice.ts";
import { createTestApp, openDemoSliceCopy } from "../support/open-test-engine.ts";

// The workbench in real Chromium against the real app (model, index, database) on loopback.
describe("the workbench at /", () => {
  const browser = useBrowser();
  let opened: OpenedEngine;
  let server: ServerType;
  let baseUrl: string;
  beforeAll(async () => {
    opened = await openDemoSliceCopy(undefined, { embedWorkers: 1 });
    server = serve({ fetch: createTestApp(opened.engine).fetch, port: 0, hostname: "127.0.0.1" });
    await new Promise<void>((resolve) => server.once("listening", () => resolve()));
    baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    await new Promise((resolve) => server.close(resolve));
    await opened.close();
  });

  const resultIds = (page: Page) => page.locator("#results tbody tr[data-id]").evaluateAll((rows) => rows.map((row) => row.getAttribute("data-id")));
  const openPage = async (path = "/") => {
    const page = await browser().newPage();
    const errors: string[] = [];
    page.on("pageerror", (error) => errors.push(error.message));
    await page.goto(`${baseUrl}${path}`);
    await page.waitForSelector("body[data-ready]");
    return { page, errors };
  };

  it("searches by free text and lists related articles with date, score and cosine", async () => {
    const { page, errors } = await openPage();
    await page.fill("#q", "The US defence secretary paused offensive cyber operations against Russia.");
    await page.keyboard.press("Enter");
    await page.waitForSelector("#results tbody tr[data-id]");
    expect(await resultIds(page)).toContain(hegsethId);
    const first = page.locator("#results tbody tr[data-id]").first();
    expect(await first.locator("td.cosine").textContent()).toMatch(/^0\.\d{3}$/);
    expect(await first.locator("td.date").textContent()).toMatch(/^2025-\d\d-\d\d$/);
    expect(new URL(page.url()).searchParams.get("q")).toContain("cyber operations");
    expect(errors).toEqual([]);
    await page.close();
  });

  it("searches by id, filters by a topic, explains a result and shows its story in time order", async () => {
    const { page, errors } = await openPage();
    await page.check("input[name=by][value=id]");
    await page.fill("#q", hegsethId);
    await page.click("#go");
    await page.waitForSelector("#results tbody tr[data-id]");
    expect(await resultIds(page)).toContain(pentagonDenialId);

    // A topic filter: clicking a result's topic keeps only articles with it.
    const chip = page.locator(`#results tr[data-id="${pentagonDenialId}"] .chip`).first();
    const topic = (await chip.textContent())!;
    await chip.click();
    // (Expressions as strings: the tests' TypeScript has no DOM types; they run in the page.)
    await waitForExpression(page, `new URL(location.href).searchParams.get("topics") === ${JSON.stringify(topic)}`);
    await waitForExpression(
      page,
      `[...document.querySelectorAll("#results tbody tr[data-id]")].every((row) => [...row.querySelectorAll(".chip")].some((c) => c.textContent === ${JSON.stringify(topic)}))`,
    );
    expect(await page.inputValue("#topics")).toBe(topic);

    // The explanation: score parts as bars, shared terms.
    await page.locator(`#results tr[data-id="${pentagonDenialId}"] button.why`).click();
    const explanation = page.locator(`tr.explain[data-for="${pentagonDenialId}"]`);
    await explanation.waitFor();
    expect(await explanation.locator(".bar span").count()).toBeGreaterThanOrEqual(3);
    expect(await explanation.textContent()).toMatch(/Shared terms: .*hegseth/i);

    // The story thread on a timeline, oldest first, with the article itself on it.
    await page.locator(`#results tr[data-id="${pentagonDenialId}"] button.open-story`).click();
    await page.waitForSelector("#timeline li");
    const dates = await page.locator("#timeline li").evaluateAll((items) => items.map((item) => item.getAttribute("data-date")));
    expect(dates.length).toBeGreaterThan(1);
    expect(dates).toEqual([...dates].sort());
    expect(await page.locator(`#timeline li.this[data-id="${pentagonDenialId}"]`).count()).toBe(1);
    expect(await page.locator(`#timeline li[data-id="${hegsethId}"] .badge`).textContent()).toBe("earlier");
    expect(errors).toEqual([]);
    await page.close();
  });

  it("exports the list as CSV", async () => {
    const { page } = await openPage(`/?by=id&q=${hegsethId}&k=5`);
    await page.waitForSelector("#results tbody tr[data-id]");
    const [download] = await Promise.all([page.waitForEvent("download"), page.click("#export-csv")]);
    const csv = readFileSync((await download.path())!, "utf8")
      .trim()
      .split("\r\n");
    expect(csv[0]).toBe("rank,id,title,url,published_at,topics,score,cosine");
    expect(csv).toHaveLength(6);
    expect(csv.map((line) => line.split(",")[1])).toContain(pentagonDenialId);
    await page.close();
  });

  it("shows the same view again from a deep link after a reload", async () => {
    const { page } = await openPage(`/?by=id&q=${hegsethId}&k=5&why=${pentagonDenialId}&story=${hegsethId}`);
    await page.waitForSelector("#timeline li");
    await page.waitForSelector(`tr.explain[data-for="${pentagonDenialId}"]`);
    const before = {
      ids: await resultIds(page),
      story: await page.locator("#timeline li").evaluateAll((items) => items.map((item) => item.getAttribute("data-id"))),
    };
    await page.reload();
    await page.waitForSelector("body[data-ready]");
    await page.waitForSelector("#timeline li");
    expect(await resultIds(page)).toEqual(before.ids);
    expect(await page.locator("#timeline li").evaluateAll((items) => items.map((item) => item.getAttribute("data-id")))).toEqual(before.story);
    expect(await page.locator(`tr.explain[data-for="${pentagonDenialId}"]`).count()).toBe(1);
    expect(await page.inputValue("#q")).toBe(hegsethId);
    await page.close();
  });

  it("says plainly when a search fails, and when by-URL lookup is not offered", async () => {
    const { page } = await openPage("/?by=id&q=no-such-article");
    await page.waitForSelector("#status.error");
    expect(await page.textContent("#status")).toContain('No article with id "no-such-article"');
    const previous = await page.textContent("#status");
    await page.check("input[name=by][value=url]");
    await page.fill("#q", "https://news.example/none");
    await page.click("#go");
    // Whether this kindred has by-URL lookup (GET /v1/related?url=) or not, an unknown URL is an error shown in words.
    await waitForExpression(
      page,
      `document.querySelector("#status.error") !== null && document.querySelector("#status").textContent !== ${JSON.stringify(previous)}`,
    );
    expect((await page.textContent("#status"))!.length).toBeGreaterThan(10);
    expect(await page.isHidden("#results-section")).toBe(true);
    await page.close();
  });
});
