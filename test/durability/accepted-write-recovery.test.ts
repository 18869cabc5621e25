import { readFileSync } from "node:fs";
import { join } from "node:path";
import Database from "better-sqlite3";
import { afterAll, describe, expect, inject, it } from "vitest";
import { databaseFileName } from "../../src/store/sqlite-article-store.ts";
import { writeJournalFileName } from "../../src/store/sqlite-write-journal.ts";
import { requestServerJson } from "../support/http-client.ts";
import { type KindredServer, startKindredServer } from "../support/kindred-server.ts";
import { copyDataDir } from "../support/temp-dir.ts";

/**
 * A write acknowledged once durable and killed (SIGKILL) before its embedding: the journal
 * holds it, and the next start embeds and indexes it while serving (docs/http-api.md,
 * "Acknowledgement"). If start-up forgot the journal, the acknowledged articles would be gone.
 */
const writerKey = "recovery-test-writer-key-01234567";
const serverEnv = { KINDRED_API_KEYS: `recovery-test:write:${writerKey}`, KINDRED_EMBED_WORKERS: "1" };
const batchSize = 60;

interface DemoItem {
  id: string;
  title: string;
  text: string;
  topics: string[];
}

describe("accepted writes after a kill between acknowledgement and embedding", () => {
  const dataDir = copyDataDir(inject("demoIndexDir"));
  const items = readFileSync(inject("demoSlicePath"), "utf8")
    .trim()
    .split("\n")
    .map((line) => JSON.parse(line) as DemoItem);
  let server: KindredServer | null = null;
  afterAll(() => {
    server?.child.kill("SIGKILL");
  });
  const call = (method: string, path: string, body?: unknown) => requestServerJson(server!.baseUrl, writerKey, method, path, body);

  it("keeps them in the journal and indexes them after the restart", async () => {
    const bases = items.filter((item) => item.text.length > 400).slice(0, batchSize);
    const articles = bases.map((base, n) => ({ id: `recovered-${n}`, title: `Recovered: ${base.title}`, text: base.text, topics: base.topics }));
    server = await startKindredServer(dataDir, serverEnv);
    const accepted = await call("POST", "/v1/articles:batch", { articles });
    server.child.kill("SIGKILL");
    await server.exited;
    expect(accepted.status).toBe(202);
    expect(accepted.body).toMatchObject({ accepted: articles.length, rejected: 0 });

    // The kill landed between the acknowledgement and the embedding: journaled, not all stored.
    const journal = new Database(join(dataDir, writeJournalFileName), { readonly: true });
    const journaled = journal.prepare<[], { n: number }>("SELECT count(*) AS n FROM accepted_writes").get()!.n;
    journal.close();
    const db = new Database(join(dataDir, databaseFileName), { readonly: true });
    const stored = db.prepare<[], { n: number }>("SELECT count(*) AS n FROM articles WHERE id LIKE 'recovered-%'").get()!.n;
    db.close();
    expect(journaled).toBeGreaterThan(0);
    expect(stored).toBeLessThan(articles.length);

    server = await startKindredServer(dataDir, serverEnv);
    for (let attempt = 0; ; attempt++) {
      if ((await call("GET", "/readyz")).body?.pending_writes === 0) break;
      if (attempt > 1200) throw new Error("accepted writes still pending 120 s after the restart");
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    for (const [n, article] of articles.entries()) {
      const { status, body } = await call("GET", `/v1/articles/${article.id}`);
      expect(status, `acknowledged ${article.id}`).toBe(200);
      expect(body!.title).toBe(article.title);
      // Searchable: a near-copy of its base comes first in the base's list.
      if (n % 6 === 0) {
        const related = await call("GET", `/v1/articles/${encodeURIComponent(bases[n]!.id)}/related?k=5&fold_duplicates=false`);
        expect(related.body!.results.map((result: { id: string }) => result.id)).toContain(article.id);
      }
    }
  }, 300_000);
});
