import type { Hono } from "hono";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { OpenedEngine } from "../../src/engine/open-engine.ts";
import { hegsethId, pentagonDenialId } from "../support/demo-slice.ts";
import { createTestApp, openDemoSliceCopy } from "../support/open-test-engine.ts";

describe("GET /v1/articles/{id}/story", () => {
  let opened: OpenedEngine;
  let app: Hono;
  beforeAll(async () => {
    opened = await openDemoSliceCopy(undefined, { embedWorkers: 1 });
    app = createTestApp(opened.engine);
  });
  afterAll(() => opened.close());

  const getJson = async (path: string) => {
    const response = await app.request(path);
    return { response, body: (await response.json()) as Record<string, any> };
  };

  it("answers the Hegseth item's story in time order, with the Pentagon's denial marked later", async () => {
    const { response, body } = await getJson(`/v1/articles/${hegsethId}/story`);
    expect(response.status).toBe(200);
    expect(body.article.id).toBe(hegsethId);
    const thread = body.thread as { id: string; published_at: string; relation: string; same_story: number }[];
    expect(thread.map((member) => member.id)).toContain(pentagonDenialId);
    expect(thread.find((member) => member.id === pentagonDenialId)!.relation).toBe("later");
    const dates = thread.map((member) => member.published_at);
    expect(dates).toEqual([...dates].sort());
    for (const member of thread) {
      expect(member.same_story).toBeGreaterThanOrEqual(body.threshold);
      expect(member.relation).toBe(member.published_at < "2025-03-02" ? "earlier" : member.relation === "copy" ? "copy" : "later");
    }
    // Decided by the score, not by a fixed length: far fewer than the candidates it was chosen from.
    expect(thread.length).toBeLessThan(100);
    expect(body.counts.earlier + body.counts.later + body.counts.copy + body.counts.undated).toBe(thread.length);
  });

  it("with since, leaves out what came before and says how much", async () => {
    const all = (await getJson(`/v1/articles/${hegsethId}/story`)).body;
    const { body } = await getJson(`/v1/articles/${hegsethId}/story?since=2025-03-04`);
    expect(body.thread.every((member: { published_at: string }) => member.published_at >= "2025-03-04")).toBe(true);
    expect(body.thread.length + body.before_since).toBe(all.thread.length);
  });

  it("rejects an unknown parameter and a bad date, and answers 404 for an unknown article", async () => {
    expect((await getJson(`/v1/articles/${hegsethId}/story?k=5`)).body.code).toBe("unknown_parameter");
    const bad = await getJson(`/v1/articles/${hegsethId}/story?since=yesterday`);
    expect(bad.response.status).toBe(400);
    expect(bad.body.parameter).toBe("since");
    expect((await getJson(`/v1/articles/nope/story`)).response.status).toBe(404);
  });
});
