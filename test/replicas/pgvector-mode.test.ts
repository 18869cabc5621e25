import { join } from "node:path";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { hashArticleText } from "../../src/core/content-hash.ts";
import { noFilters, type RelatedFilters } from "../../src/core/related/related-filters.ts";
import type { RelatedRequest } from "../../src/engine/kindred-engine.ts";
import type { OpenedEngine } from "../../src/engine/open-engine.ts";
import { hegsethId } from "../support/demo-slice.ts";
import { importDemoIndex } from "../support/import-demo-index.ts";
import { CountingEmbedder, openTestEngine } from "../support/open-test-engine.ts";
import { startPgliteServer } from "../support/pglite-server.ts";
import { useTempDir } from "../support/temp-dir.ts";

/**
 * pgvector mode (`vectorSearch: "pgvector"`): a replica engine whose related path searches
 * PostgreSQL's HNSW index instead of a graph of its own, on PGlite with pgvector served on
 * loopback and the real `pg` driver (the same SQL a PostgreSQL server with pgvector runs). Its
 * lists must equal the exact search's: the same engine's synchronous path, which without a
 * graph scans its in-memory vectors exactly. `exactScanMaxCandidates: 0` sends every filtered
 * query to PostgreSQL too (a small corpus would otherwise be scanned in memory).
 */
describe("pgvector mode", () => {
  const root = useTempDir("kindred-pgvector-mode-");
  let server: Awaited<ReturnType<typeof startPgliteServer>>;
  let opened: OpenedEngine;
  let embedder: CountingEmbedder;
  let databaseUrl: string;
  let ids: string[];

  beforeAll(async () => {
    // A pool of one and the LISTEN connection: PGlite is one session.
    server = await startPgliteServer({ maxConnections: 2 });
    databaseUrl = server.url;
    const pool = new pg.Pool({ connectionString: databaseUrl, max: 1 });
    try {
      await importDemoIndex(pool);
    } finally {
      await pool.end();
    }
    embedder = await CountingEmbedder.start();
    opened = await openTestEngine(join(root, "replica"), embedder, {
      databaseUrl,
      vectorSearch: "pgvector",
      databasePoolSize: 1,
      exactScanMaxCandidates: 0,
      recallCheckQueries: 0,
    });
    ids = opened.engine.listIds().sort();
  }, 240_000);
  afterAll(async () => {
    await opened?.close();
    await embedder?.close();
    await server?.stop();
  });

  const dayMs = 86_400_000;
  // The demo slice's most common topics, as the catalog holds them (normalised).
  const commonTopics = () => {
    const counts = new Map<string, number>();
    for (const id of ids) for (const topic of opened.engine.getEntry(id)!.topics) counts.set(topic, (counts.get(topic) ?? 0) + 1);
    return [...counts].sort((a, b) => b[1] - a[1]).map(([topic]) => topic);
  };
  const filterCases: [string, () => Partial<RelatedFilters>][] = [
    ["no filter", () => ({})],
    ["a topic", () => ({ topics: commonTopics().slice(0, 1) })],
    ["excluded topics", () => ({ excludeTopics: commonTopics().slice(1, 3) })],
    ["a date range", () => ({ sinceMs: Date.UTC(2025, 1, 28), untilMs: Date.UTC(2025, 1, 28) + 5 * dayMs })],
    ["excluded ids", () => ({ excludeIds: [] })],
  ];

  it("holds no graph, and fills the vectors table from the store of record", async () => {
    const { engine } = opened;
    expect(engine.size()).toBeGreaterThan(100);
    expect(engine.graphStats()).toEqual({ live: 0, tombstones: 0, compacting: false, m: null });
    const pool = new pg.Pool({ connectionString: databaseUrl, max: 1 });
    try {
      const { rows } = await pool.query<{ n: string }>("SELECT COUNT(*) AS n FROM kindred_article_vectors");
      expect(Number(rows[0]!.n)).toBe(engine.size());
    } finally {
      await pool.end();
    }
  });

  it.each(filterCases)("answers related lists equal to the exact search's, in PostgreSQL: %s", async (_name, filterOf) => {
    const { engine } = opened;
    const partial = filterOf();
    // Every 25th article, and the Hegseth item; excluded ids: the exact list's top two.
    const queries = [hegsethId, ...ids.filter((_, n) => n % 25 === 0)];
    let compared = 0;
    for (const id of queries) {
      for (const mode of ["dense", "hybrid"] as const) {
        let filters: RelatedFilters = { ...noFilters, ...partial };
        const request = (): RelatedRequest => ({ k: 10, filters, ranking: { mode } });
        if (partial.excludeIds !== undefined) {
          filters = {
            ...filters,
            excludeIds: engine
              .findRelatedToArticle(id, request(), { cache: false })
              .results.slice(0, 2)
              .map((r) => r.entry.id),
          };
        }
        const exact = engine.findRelatedToArticle(id, request(), { cache: false });
        const served = await engine.findRelatedToArticleAsync(id, request(), { cache: false });
        expect(served.plan, `${id} ${mode}`).toMatch(/^pgvector/);
        expect(
          served.results.map((r) => r.entry.id),
          `${id} ${mode}`,
        ).toEqual(exact.results.map((r) => r.entry.id));
        served.results.forEach((result, n) => expect(result.score).toBeCloseTo(exact.results[n]!.score, 6));
        for (const result of served.results) {
          const entry = result.entry;
          expect(entry.id).not.toBe(id);
          expect(filters.excludeIds).not.toContain(entry.id);
          if (filters.topics.length > 0) expect(entry.topics.some((topic) => filters.topics.includes(topic))).toBe(true);
          expect(entry.topics.some((topic) => filters.excludeTopics.includes(topic))).toBe(false);
          if (filters.sinceMs !== null) expect(entry.publishedMs).toBeGreaterThanOrEqual(filters.sinceMs);
          if (filters.untilMs !== null) expect(entry.publishedMs).toBeLessThanOrEqual(filters.untilMs);
        }
        compared += served.results.length;
      }
    }
    expect(compared).toBeGreaterThan(0);
  });

  it("follows writes and deletes: a new article is found through PostgreSQL, a deleted one no longer", async () => {
    const { engine } = opened;
    const source = engine.getArticle(hegsethId)!;
    const article = {
      ...source,
      id: "pgvector-mode-new",
      url: null,
      title: `${source.title} (follow-up)`,
      body: `${source.body} Officials confirmed it again.`,
    };
    expect(hashArticleText(article)).not.toBe(source.textHash);
    await engine.writeArticles([article]);
    // Copies not folded: the new article is a near-copy of the query, which a list would fold away.
    const request: RelatedRequest = { k: 5, filters: noFilters, ranking: { mode: "dense", foldDuplicates: false } };
    const withNew = await engine.findRelatedToArticleAsync(hegsethId, request, { cache: false });
    expect(withNew.plan).toBe("pgvector");
    expect(withNew.results[0]!.entry.id).toBe("pgvector-mode-new");
    expect(withNew.results.map((r) => r.entry.id)).toEqual(engine.findRelatedToArticle(hegsethId, request, { cache: false }).results.map((r) => r.entry.id));
    await engine.deleteArticle("pgvector-mode-new");
    const without = await engine.findRelatedToArticleAsync(hegsethId, request, { cache: false });
    expect(without.results.map((r) => r.entry.id)).not.toContain("pgvector-mode-new");
    expect(without.results.map((r) => r.entry.id)).toEqual(engine.findRelatedToArticle(hegsethId, request, { cache: false }).results.map((r) => r.entry.id));
  }, 120_000);

  it("answers a free text through PostgreSQL", async () => {
    const answer = await opened.engine.findRelatedToText(
      { text: "The Pentagon halts offensive cyber operations against Russia, Defense Secretary Hegseth orders" },
      { k: 5, filters: noFilters, ranking: { mode: "dense" } },
    );
    expect(answer.plan).toBe("pgvector");
    expect(answer.results.map((r) => r.entry.id)).toContain(hegsethId);
  }, 120_000);

  it("is refused without a database to search in", async () => {
    await expect(openTestEngine(join(root, "no-database"), undefined, { vectorSearch: "pgvector" })).rejects.toThrow(/needs|database/);
  });
});
