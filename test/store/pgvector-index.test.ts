import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { PgvectorIndex } from "../../src/store/postgres/pgvector-index.ts";
import { ExactVectorIndex } from "../../src/vectors/exact-vector-index.ts";
import { startPgliteServer } from "../support/pglite-server.ts";
import { clusteredUnitVectors } from "../support/synthetic-vectors.ts";

/**
 * The pgvector mode's search, its SQL run unchanged through the `pg` driver against PGlite with
 * pgvector on a loopback socket: HNSW recall against kindred's own exact index, with and without
 * a selective filter (the iterative scan's case), and filters applied in the SQL.
 */
describe("pgvector search (PGlite over a socket)", () => {
  const dimensions = 32;
  const count = 1_000;
  const vectors = clusteredUnitVectors(count, dimensions, 30, 11);
  const queries = clusteredUnitVectors(40, dimensions, 30, 12);
  // One article in ten has the rare topic: the selective filter.
  const topicsOf = (n: number) => (n % 10 === 0 ? ["rare", "common"] : ["common"]);
  const dayMs = 86_400_000;
  const publishedOf = (n: number) => Date.UTC(2025, 0, 1) + (n % 100) * dayMs;
  let server: Awaited<ReturnType<typeof startPgliteServer>>;
  let pool: pg.Pool;
  let index: PgvectorIndex;
  const exact = new ExactVectorIndex(dimensions);

  beforeAll(async () => {
    server = await startPgliteServer();
    pool = new pg.Pool({ connectionString: server.url, max: 1 });
    index = await PgvectorIndex.prepare(pool, { dimensions, m: 16, efConstruction: 100, efSearch: 100 });
    for (let first = 0; first < count; first += 500) {
      await index.upsert(
        vectors
          .slice(first, first + 500)
          .map((vector, offset) => ({ id: `a${first + offset}`, vector, publishedMs: publishedOf(first + offset), topics: topicsOf(first + offset) })),
      );
    }
    vectors.forEach((vector, n) => exact.upsert(n, vector));
  });
  afterAll(async () => {
    await pool?.end();
    await server?.stop();
  });

  const recallOf = async (accept: (n: number) => boolean, filter: Parameters<PgvectorIndex["search"]>[2]) => {
    let found = 0;
    for (const query of queries) {
      const truth = new Set(exact.search(query, 10, accept).map((neighbor) => `a${neighbor.label}`));
      const hits = await index.search(query, 10, filter, { plan: "hnsw" });
      expect(hits).toHaveLength(10);
      found += hits.filter((hit) => truth.has(hit.id)).length;
    }
    return found / (queries.length * 10);
  };

  it("finds at least 95% of the exact top 10 with HNSW, unfiltered", async () => {
    expect(await index.count()).toBe(count);
    expect(await recallOf(() => true, {})).toBeGreaterThanOrEqual(0.95);
  });

  it("keeps recall with a 10% topic filter (iterative scan), returning only matching articles", async () => {
    expect(await recallOf((n) => n % 10 === 0, { topics: ["rare"] })).toBeGreaterThanOrEqual(0.95);
    const hits = await index.search(queries[0]!, 10, { topics: ["rare"] }, { plan: "hnsw" });
    expect(hits.every((hit) => Number(hit.id.slice(1)) % 10 === 0)).toBe(true);
  });

  it("answers exact mode as kindred's exact index does, with scores, best first", async () => {
    const hits = await index.search(queries[1]!, 5, {}, { exact: true });
    const expected = exact.search(queries[1]!, 5);
    expect(hits.map((hit) => hit.id)).toEqual(expected.map((neighbor) => `a${neighbor.label}`));
    hits.forEach((hit, n) => expect(hit.score).toBeCloseTo(expected[n]!.score, 4));
  });

  it("applies date bounds and excluded ids in the SQL, and forgets removed vectors", async () => {
    const sinceMs = publishedOf(90);
    const hits = await index.search(queries[2]!, 10, { sinceMs, excludeIds: ["a90", "a91"] });
    expect(hits).toHaveLength(10);
    expect(hits.every((hit) => publishedOf(Number(hit.id.slice(1))) >= sinceMs && hit.id !== "a90" && hit.id !== "a91")).toBe(true);
    const [top] = await index.search(vectors[123]!, 1);
    expect(top!.id).toBe("a123");
    await index.remove(["a123"]);
    expect((await index.search(vectors[123]!, 1))[0]!.id).not.toBe("a123");
  });
});
