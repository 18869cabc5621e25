import { join } from "node:path";
import Database from "better-sqlite3";
import type { Hono } from "hono";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { digestApiKey } from "../../src/config/api-keys.ts";
import { maxAcceptedBacklogArticles, maxAcceptedBacklogChars } from "../../src/engine/accepted-backlog.ts";
import type { OpenedEngine } from "../../src/engine/open-engine.ts";
import { createApp } from "../../src/http/app.ts";
import { databaseFileName } from "../../src/store/sqlite-article-store.ts";
import { hegsethId, pentagonDenialId } from "../support/demo-slice.ts";
import { recordingLogger, requestJson } from "../support/http-client.ts";
import { CountingEmbedder, openTestEngine } from "../support/open-test-engine.ts";
import { copyDataDir } from "../support/temp-dir.ts";

/**
 * Writes acknowledged once durable (docs/http-api.md, "Acknowledgement"), with the real model
 * held busy so that the acknowledgement provably comes before the embedding.
 */
const writerKey = "ack-writer-key-0123456789abcdef";
const headers = { authorization: `Bearer ${writerKey}` };
/** Long enough for a held model to be noticed, short enough to keep a failing run brief. */
const answerWithinMs = 5_000;

describe("write acknowledgement", () => {
  let opened: OpenedEngine;
  let embedder: CountingEmbedder;
  let app: Hono;
  const dataDir = copyDataDir(inject("demoIndexDir"));

  beforeAll(async () => {
    embedder = await CountingEmbedder.start();
    opened = await openTestEngine(dataDir, embedder);
    const { logger } = recordingLogger();
    app = createApp(
      { engine: opened.engine, phase: "ready" },
      { maxRequestBytes: 10_000, maxQueryTextChars: 2_000, logger, apiKeys: [{ name: "cms", scopes: ["write"], sha256: digestApiKey(writerKey) }] },
    );
  });
  afterAll(async () => {
    await opened.close();
    await embedder.close();
  });

  const call = (method: string, path: string, body?: unknown) => requestJson(app, method, path, { headers, ...(body === undefined ? {} : { body }) });
  /** The answer, or "no answer" if it does not come within `answerWithinMs` (the model is held meanwhile). */
  /** The request's answer, or `label` if none came within `ms`. */
  const answerOr = <T, Label extends string>(request: Promise<T>, ms: number, label: Label) =>
    Promise.race([request, new Promise<Label>((resolve) => setTimeout(() => resolve(label), ms).unref())]);
  const answered = <T>(request: Promise<T>) => answerOr(request, answerWithinMs, "no answer");
  const relatedIds = async (id: string) => {
    const { status, body } = await call("GET", `/v1/articles/${encodeURIComponent(id)}/related?k=10&fold_duplicates=false`);
    expect(status, `related list of ${id}`).toBe(200);
    return body.results.map((result: { id: string }) => result.id) as string[];
  };
  const untilNothingPending = async () => {
    for (const deadline = Date.now() + 60_000; Date.now() < deadline; ) {
      if ((await call("GET", "/readyz")).body.pending_writes === 0) return;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    throw new Error("accepted writes still pending after 60 s");
  };
  /** Polls `path` until it answers `status` (then that status) or `answerWithinMs` has passed (then the last status). */
  const untilStatus = async (path: string, status: number) => {
    let last = 0;
    for (const deadline = Date.now() + answerWithinMs; Date.now() < deadline; ) {
      last = (await call("GET", path)).status;
      if (last === status) break;
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    return last;
  };
  const nearCopyOf = async (id: string, title: string) => {
    const base = (await call("GET", `/v1/articles/${id}`)).body;
    return { title, text: base.text, topics: base.topics };
  };

  it("answers a PUT 202 once durable while the model is still held, and lists the article once it is embedded", async () => {
    const article = await nearCopyOf(hegsethId, "Update: accepted before its embedding");
    const release = embedder.holdModel();
    try {
      const answer = await answered(call("PUT", "/v1/articles/ack-put", article));
      expect(answer, "PUT answered while the model was held").not.toBe("no answer");
      if (answer === "no answer") return;
      expect(answer.status).toBe(202);
      expect(answer.body).toEqual({ id: "ack-put", status: "accepted", version: expect.any(Number) });
      expect((await call("GET", "/readyz")).body.pending_writes).toBe(1);
      // Not half a write: not in any list yet.
      expect((await call("GET", "/v1/articles/ack-put/related")).status).toBe(404);
      expect(await relatedIds(hegsethId)).not.toContain("ack-put");
    } finally {
      release();
    }
    await untilNothingPending();
    expect(await relatedIds(hegsethId)).toContain("ack-put");
    expect((await call("GET", "/v1/articles/ack-put")).body.title).toBe(article.title);
  });

  it("with wait=true answers once the write is in the lists, so it reads its own write at once", async () => {
    const article = await nearCopyOf(pentagonDenialId, "Update: read your own write");
    const answer = await call("PUT", "/v1/articles/ack-wait?wait=true", article);
    expect(answer.status).toBe(201);
    expect(answer.body).toEqual({ id: "ack-wait", status: "created" });
    expect(await relatedIds(pentagonDenialId)).toContain("ack-wait");
    const batch = await call("POST", "/v1/articles:batch?wait=true", {
      articles: [{ id: "ack-wait", ...article, title: "Update: read your own write, again" }],
    });
    expect(batch.body).toMatchObject({ updated: 1, rejected: 0 });
    expect((await call("GET", "/v1/articles/ack-wait")).body.title).toBe("Update: read your own write, again");
    expect((await call("PUT", "/v1/articles/ack-wait?wait=yes", article)).status).toBe(400);
  });

  it("answers a DELETE 202 while a batch's embedding holds the model, applies it without the model, and a DELETE after an accepted PUT of the same article wins", async () => {
    const articles = await Promise.all(
      [0, 1, 2].map(async (n) => ({ id: `ack-batch-${n}`, ...(await nearCopyOf(hegsethId, `Follow-up ${n}: accepted in a batch`)) })),
    );
    const release = embedder.holdModel();
    try {
      const batch = await answered(call("POST", "/v1/articles:batch", { articles }));
      expect(batch, "batch answered while the model was held").not.toBe("no answer");
      if (batch === "no answer") return;
      expect(batch.status).toBe(202);
      expect(batch.body).toMatchObject({ accepted: 3, rejected: 0 });
      // A stored article, and one whose accepted write still waits for the model.
      for (const id of [pentagonDenialId, "ack-batch-1"]) {
        const removed = await answered(call("DELETE", `/v1/articles/${id}`));
        expect(removed, `DELETE ${id} answered while the model was held`).not.toBe("no answer");
        if (removed !== "no answer") expect(removed).toMatchObject({ status: 202, body: { id, status: "accepted", version: expect.any(Number) } });
      }
      // Already being deleted: nothing left to delete.
      expect((await call("DELETE", `/v1/articles/${pentagonDenialId}`)).status).toBe(404);
      // Applied in the background, with the model still held.
      expect(await untilStatus(`/v1/articles/${pentagonDenialId}`, 404), "the delete applied while the model was held").toBe(404);
    } finally {
      release();
    }
    await untilNothingPending();
    expect((await call("GET", "/v1/articles/ack-batch-1")).status).toBe(404);
    const listed = await relatedIds(hegsethId);
    expect(listed).toContain("ack-batch-0");
    expect(listed).toContain("ack-batch-2");
    expect(listed).not.toContain("ack-batch-1");
    expect(listed).not.toContain(pentagonDenialId);
  });

  it("answers a PUT and a DELETE while another connection holds the store's write lock (as a commit of embedded writes does), and applies them once it is released", async () => {
    const article = { title: "Harvest delayed by the rain", text: "Farmers in the north reported a late harvest after weeks of rain." };
    expect((await call("PUT", "/v1/articles/ack-locked-old?wait=true", article)).status).toBe(201);
    const holder = new Database(join(dataDir, databaseFileName));
    holder.exec("BEGIN IMMEDIATE");
    let released = false;
    try {
      const put = await answered(call("PUT", "/v1/articles/ack-locked-new", article));
      expect(put, "PUT answered while the store's write lock was held").not.toBe("no answer");
      if (put !== "no answer") expect(put.status).toBe(202);
      const removed = await answered(call("DELETE", "/v1/articles/ack-locked-old"));
      expect(removed, "DELETE answered while the store's write lock was held").not.toBe("no answer");
      if (removed !== "no answer") expect(removed.status).toBe(202);
      holder.exec("COMMIT");
      released = true;
    } finally {
      if (!released) holder.exec("ROLLBACK");
      holder.close();
    }
    await untilNothingPending();
    expect((await call("GET", "/v1/articles/ack-locked-new")).status).toBe(200);
    expect((await call("GET", "/v1/articles/ack-locked-old")).status).toBe(404);
  });

  it("applies a PATCH after the same article's accepted PUT, never under it", async () => {
    const release = embedder.holdModel();
    const put = await call("PUT", "/v1/articles/ack-patch", { title: "Accepted, then patched", text: "A short text about harvests and markets." });
    expect(put.status).toBe(202);
    const patched = call("PATCH", "/v1/articles/ack-patch", { topics: ["patched"] });
    release();
    expect((await patched).status).toBe(200);
    const stored = (await call("GET", "/v1/articles/ack-patch")).body;
    expect(stored).toMatchObject({ title: "Accepted, then patched", topics: ["patched"] });
  });

  it("holds a write back while the backlog of accepted articles is full, and answers it once the model makes room", async () => {
    const backlog = Array.from({ length: maxAcceptedBacklogArticles }, (_, n) => ({
      id: `ack-backlog-${n}`,
      title: `Harvest report ${n}`,
      text: `Farmers in district ${n} reported a late harvest after heavy rain.`,
    }));
    const release = embedder.holdModel();
    let next: Promise<{ status: number }> | undefined;
    try {
      const batch = await answered(call("POST", "/v1/articles:batch", { articles: backlog }));
      expect(batch, "a batch into an empty backlog is answered while the model is held").not.toBe("no answer");
      if (batch === "no answer") return;
      expect(batch.status).toBe(202);
      next = call("PUT", "/v1/articles/ack-backlog-next", { title: "One more harvest report", text: "Rain delayed the harvest again." });
      const early = await answerOr(next, 1_000, "waiting");
      expect(early, "a write beyond the full backlog waits for the model").toBe("waiting");
      expect((await call("GET", "/readyz")).body.pending_writes).toBe(maxAcceptedBacklogArticles);
    } finally {
      release();
    }
    expect((await next!).status).toBe(202);
    await untilNothingPending();
    expect((await call("GET", "/v1/articles/ack-backlog-next")).status).toBe(200);
  });

  it("lets a write in at once while a burst of five batches (50 articles) waits for the model", async () => {
    const burst = Array.from({ length: 50 }, (_, n) => ({ id: `ack-burst-${n}`, title: `Market report ${n}`, text: `Traders in port ${n} saw prices rise.` }));
    const release = embedder.holdModel();
    try {
      for (let start = 0; start < burst.length; start += 10) {
        const batch = await answered(call("POST", "/v1/articles:batch", { articles: burst.slice(start, start + 10) }));
        expect(batch, `batch ${start / 10} answered while the model was held`).not.toBe("no answer");
        if (batch === "no answer") return;
        expect(batch.status).toBe(202);
      }
      const put = await answered(call("PUT", "/v1/articles/ack-burst-next", { title: "One more market report", text: "Prices fell again." }));
      expect(put, "a PUT behind the burst answered while the model was held").not.toBe("no answer");
    } finally {
      release();
    }
    await untilNothingPending();
  });

  it("holds a write back while the backlog's characters are full, however few its articles", async () => {
    const longText = (n: number) => `${"Rain delayed the harvest across the northern districts again this week. ".repeat(13_800)}Report ${n}.`;
    const big = Array.from({ length: 8 }, (_, n) => ({ id: `ack-long-${n}`, title: `Long harvest report ${n}`, text: longText(n) }));
    const bigChars = big.reduce((sum, item) => sum + item.title.length + item.text.length, 0);
    expect(bigChars).toBeLessThanOrEqual(maxAcceptedBacklogChars);
    expect(bigChars + 500_000).toBeGreaterThan(maxAcceptedBacklogChars);
    const release = embedder.holdModel();
    let next: Promise<{ status: number }> | undefined;
    try {
      const batch = await answered(call("POST", "/v1/articles:batch", { articles: big }));
      expect(batch, "a batch within the bound is answered while the model is held").not.toBe("no answer");
      if (batch === "no answer") return;
      expect(batch.status).toBe(202);
      next = call("PUT", "/v1/articles/ack-long-next", { title: "One more long report", text: longText(99).slice(0, 500_000) });
      const early = await answerOr(next, 1_000, "waiting");
      expect(early, "a write beyond the backlog's characters waits for the model").toBe("waiting");
      // Superseded before their turn: dropped without the model, which makes room.
      for (const item of big) expect((await call("DELETE", `/v1/articles/${item.id}`)).status).toBe(202);
    } finally {
      release();
    }
    expect((await next!).status).toBe(202);
    await untilNothingPending();
  }, 120_000);
});
