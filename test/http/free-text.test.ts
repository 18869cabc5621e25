import type { Hono } from "hono";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { detectLanguage } from "../../src/articles/detect-language.ts";
import type { OpenedEngine } from "../../src/engine/open-engine.ts";
import { createTestApp, openDemoSliceCopy } from "../support/open-test-engine.ts";

const germanQuake =
  "Ein schweres Erdbeben der Stärke 7,5 hat am Montag die Westküste Japans erschüttert. Mindestens 30 Menschen kamen ums Leben, " +
  "die Behörden gaben eine Tsunami-Warnung für die Präfektur Ishikawa heraus und Tausende Menschen mussten ihre Häuser verlassen.";

describe("honest free text (POST /v1/related)", () => {
  let opened: OpenedEngine;
  let app: Hono;
  beforeAll(async () => {
    opened = await openDemoSliceCopy(undefined, { embedWorkers: 1 });
    app = createTestApp(opened.engine);
  });
  afterAll(() => opened.close());

  const post = async (body: unknown) => {
    const response = await app.request("/v1/related", { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) });
    return { response, body: (await response.json()) as Record<string, any> };
  };

  it("detects a German text, ranks it by words alone and says so in warnings", async () => {
    const { response, body } = await post({ text: germanQuake, k: 5 });
    expect(response.status).toBe(200);
    expect(body.lang).toBe("de");
    expect(body.lang_source).toBe("detected");
    expect(body.warnings).toEqual([expect.stringContaining("ranked by shared words alone")]);
  });

  it("accepts a given lang, which wins over detection", async () => {
    const { response, body } = await post({ text: germanQuake, lang: "de", k: 3 });
    expect(response.status).toBe(200);
    expect(body.lang_source).toBe("given");
    expect(body.warnings[0]).toContain("(de, given)");
    const english = await post({ text: "The US defence secretary paused offensive cyber operations against Russia.", k: 3 });
    expect(english.body.lang).toBe("en");
    expect(english.body.warnings).toBeUndefined();
    expect((await post({ text: germanQuake, lang: "German!" })).body.parameter).toBe("lang");
  });

  it.each([["the and of a"], ["😀😀😀"], ["?!? ... ---"]])("refuses %j with 400 and the reason, never a list of filler", async (text) => {
    const { response, body } = await post({ text });
    expect(response.status).toBe(400);
    expect(body.code).toBe("query_too_short");
    expect(body.detail).toMatch(/no word that could tell one story from another/);
    expect(body.results).toBeUndefined();
  });

  it("ranks a single word by that word alone, with a warning: every result holds it", async () => {
    const { response, body } = await post({ text: "Hegseth", k: 10, explain: true });
    expect(response.status).toBe(200);
    expect(body.warnings).toEqual([expect.stringContaining('A single word ("hegseth")')]);
    expect(body.results.length).toBeGreaterThan(0);
    for (const result of body.results) expect(result.explanation.shared_terms).toContain("hegseth");
    const unheard = await post({ text: "quake", k: 10 });
    expect(unheard.response.status).toBe(200);
    expect(unheard.body.warnings[0]).toContain("A single word");
    // No article of the slice holds the word "quake" (one says "earthquake", another word to the
    // index): ranked by that word alone, nothing is related, rather than the nearest by embedding.
    expect(unheard.body.results).toEqual([]);
  });
});

describe("detectLanguage", () => {
  it("tells German and English apart and declines to guess from a word or symbols", () => {
    expect(detectLanguage(germanQuake)).toBe("de");
    expect(detectLanguage("The United States Department of Defense denies previous media reports")).toBe("en");
    expect(detectLanguage("Hegseth")).toBeNull();
    expect(detectLanguage("😀😀😀")).toBeNull();
  });
});
