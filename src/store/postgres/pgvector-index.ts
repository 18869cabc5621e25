import type pg from "pg";

/** One article's vector and the fields filters read, as the pgvector table holds them. */
export interface PgvectorItem {
  id: string;
  vector: Float32Array;
  publishedMs: number | null;
  topics: readonly string[];
}

/** Filters applied in the same SQL as the nearest-neighbour search. */
export interface PgvectorFilter {
  /** Any of these topics (none: no topic filter). */
  topics?: readonly string[];
  sinceMs?: number | null;
  untilMs?: number | null;
  excludeIds?: readonly string[];
}

export interface PgvectorOptions {
  dimensions: number;
  /** HNSW parameters, as for the in-memory graph (ALGO_PARAMS of hnswlib; pgvector's are the same). */
  m?: number;
  efConstruction?: number;
  efSearch?: number;
}

/**
 * The pgvector mode's search (optional, docs/deployment.md; not yet wired into the engine): vectors in a
 * PostgreSQL table with an HNSW index (pgvector), searched by inner product (cosine for the unit
 * vectors kindred stores), filters in the same SQL. A selective filter would leave an HNSW scan
 * with too few rows after filtering; pgvector's iterative scan (0.8+, `relaxed_order`) keeps
 * scanning the graph until `k` rows pass, and the outer ORDER BY restores exact order.
 *
 * @example
 *   const index = await PgvectorIndex.prepare(pool, { dimensions: 512 });
 *   await index.upsert([{ id: "a", vector, publishedMs: null, topics: [] }]);
 *   const hits = await index.search(query, 10, { topics: ["politics"] });
 */
export class PgvectorIndex {
  readonly #pool: pg.Pool;
  readonly #efSearch: number;
  readonly dimensions: number;

  private constructor(pool: pg.Pool, options: PgvectorOptions) {
    this.#pool = pool;
    this.dimensions = options.dimensions;
    this.#efSearch = options.efSearch ?? 128;
  }

  /** Creates the extension, table and indexes if missing (needs the pgvector extension installed on the server). */
  static async prepare(pool: pg.Pool, options: PgvectorOptions): Promise<PgvectorIndex> {
    const dimensions = Math.trunc(options.dimensions);
    await pool.query(`CREATE EXTENSION IF NOT EXISTS vector;
      CREATE TABLE IF NOT EXISTS kindred_article_vectors (
        id text PRIMARY KEY,
        embedding vector(${dimensions}) NOT NULL,
        published_ms bigint,
        topics text[] NOT NULL DEFAULT '{}'
      );
      CREATE INDEX IF NOT EXISTS kindred_article_vectors_hnsw ON kindred_article_vectors
        USING hnsw (embedding vector_ip_ops) WITH (m = ${Math.trunc(options.m ?? 16)}, ef_construction = ${Math.trunc(options.efConstruction ?? 200)});
      CREATE INDEX IF NOT EXISTS kindred_article_vectors_topics ON kindred_article_vectors USING gin (topics);`);
    return new PgvectorIndex(pool, { ...options, dimensions });
  }

  /** Adds or replaces vectors, in one statement. */
  async upsert(items: readonly PgvectorItem[]): Promise<void> {
    if (items.length === 0) return;
    for (const item of items) {
      if (item.vector.length !== this.dimensions)
        throw new Error(`Vector of "${item.id}" has ${item.vector.length} dimensions; the index holds ${this.dimensions}.`);
    }
    await this.#pool.query(
      `INSERT INTO kindred_article_vectors(id, embedding, published_ms, topics)
       SELECT r.id, r.embedding::vector, r.published_ms, ARRAY(SELECT jsonb_array_elements_text(r.topics))
       FROM jsonb_to_recordset($1::jsonb) AS r(id text, embedding text, published_ms bigint, topics jsonb)
       ON CONFLICT (id) DO UPDATE SET embedding = excluded.embedding, published_ms = excluded.published_ms, topics = excluded.topics`,
      [JSON.stringify(items.map((item) => ({ id: item.id, embedding: toVectorLiteral(item.vector), published_ms: item.publishedMs, topics: item.topics })))],
    );
  }

  async remove(ids: readonly string[]): Promise<void> {
    await this.#pool.query("DELETE FROM kindred_article_vectors WHERE id = ANY($1)", [ids]);
  }

  async count(): Promise<number> {
    return Number((await this.#pool.query<{ n: string }>("SELECT COUNT(*) AS n FROM kindred_article_vectors")).rows[0]!.n);
  }

  /**
   * Up to `k` nearest ids by inner product, best first, among those the filter accepts. `exact`
   * turns the index off for this query (a full scan): the reference for recall. `plan: "hnsw"`
   * keeps the planner from answering a selective filter by scanning the matching rows (what it
   * does, rightly, on a small table): the HNSW scan a large corpus gets, for tests and benches.
   */
  async search(
    query: Float32Array,
    k: number,
    filter: PgvectorFilter = {},
    options: { exact?: boolean; plan?: "auto" | "hnsw" } = {},
  ): Promise<{ id: string; score: number }[]> {
    const conditions: string[] = [];
    const parameters: unknown[] = [toVectorLiteral(query), k];
    const parameter = (value: unknown) => `$${parameters.push(value)}`;
    if (filter.topics !== undefined && filter.topics.length > 0) conditions.push(`topics && ${parameter(filter.topics)}::text[]`);
    if (filter.sinceMs != null) conditions.push(`published_ms >= ${parameter(filter.sinceMs)}`);
    if (filter.untilMs != null) conditions.push(`published_ms <= ${parameter(filter.untilMs)}`);
    if (filter.excludeIds !== undefined && filter.excludeIds.length > 0) conditions.push(`NOT (id = ANY(${parameter(filter.excludeIds)}::text[]))`);
    const where = conditions.length === 0 ? "" : `WHERE ${conditions.join(" AND ")}`;
    const client = await this.#pool.connect();
    try {
      // Settings local to this transaction: a pooled connection is left as it was found.
      await client.query(
        options.exact === true
          ? "BEGIN; SET LOCAL enable_indexscan = off"
          : `BEGIN; SET LOCAL hnsw.ef_search = ${Math.max(this.#efSearch, Math.trunc(k))}; SET LOCAL hnsw.iterative_scan = relaxed_order` +
              (options.plan === "hnsw" ? "; SET LOCAL enable_seqscan = off; SET LOCAL enable_bitmapscan = off; SET LOCAL enable_sort = off" : ""),
      );
      const { rows } = await client.query<{ id: string; score: number }>(
        `WITH nearest AS MATERIALIZED (
           SELECT id, -(embedding <#> $1::vector) AS score FROM kindred_article_vectors ${where} ORDER BY embedding <#> $1::vector LIMIT $2
         )
         SELECT id, score FROM nearest ORDER BY score DESC`,
        parameters,
      );
      await client.query("COMMIT");
      return rows;
    } catch (error) {
      await client.query("ROLLBACK").catch(() => undefined);
      throw error;
    } finally {
      client.release();
    }
  }
}

/** pgvector's text form, '[x,y,...]': float32 values print exactly enough to read back the same. */
function toVectorLiteral(vector: Float32Array): string {
  return `[${Array.from(vector).join(",")}]`;
}
