import pg from "pg";

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
  /** None of these topics. */
  excludeTopics?: readonly string[];
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

/** Options of one search: see `PgvectorIndex.search`. */
export interface PgvectorSearchOptions {
  exact?: boolean;
  plan?: "auto" | "hnsw";
  /**
   * The share of articles the filter is expected to pass (0-1]: without pgvector's iterative
   * scan (before 0.8), the HNSW scan stops after ef_search candidates, so a selective filter
   * needs ef_search about k / share to keep k rows after filtering (capped at pgvector's 1,000).
   */
  expectedShare?: number;
}

/** pgvector's upper bound on hnsw.ef_search. */
const maxEfSearch = 1_000;

/**
 * The pgvector mode's search (the engine's dense search in `vectorSearch: "pgvector"`, engine/pgvector-search.ts): vectors in a
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
  /** Whether the server's pgvector has `hnsw.iterative_scan` (0.8.0 and later). */
  readonly iterativeScan: boolean;

  private constructor(pool: pg.Pool, options: PgvectorOptions, iterativeScan: boolean) {
    this.#pool = pool;
    this.dimensions = options.dimensions;
    this.#efSearch = options.efSearch ?? 128;
    this.iterativeScan = iterativeScan;
  }

  /** Creates the extension, table and indexes if missing (needs the pgvector extension installed on the server). */
  static async prepare(pool: pg.Pool, options: PgvectorOptions): Promise<PgvectorIndex> {
    await pool.query(pgvectorTableSql(options));
    return new PgvectorIndex(pool, { ...options, dimensions: Math.trunc(options.dimensions) }, await hasIterativeScan(pool));
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
   *
   * One round trip: the settings and the query go as one multi-statement message, which
   * PostgreSQL runs as one implicit transaction, so `SET LOCAL` ends with it and a pooled
   * connection is left as it was found. Such a message takes no parameters: values are inlined
   * as literals (numbers as numbers, text through `escapeLiteral`).
   */
  async search(query: Float32Array, k: number, filter: PgvectorFilter = {}, options: PgvectorSearchOptions = {}): Promise<{ id: string; score: number }[]> {
    if (query.length !== this.dimensions) throw new Error(`The query vector has ${query.length} dimensions; the index holds ${this.dimensions}.`);
    const limit = Math.max(1, Math.trunc(k));
    const textArray = (values: readonly string[]) => `ARRAY[${values.map((value) => pg.escapeLiteral(value)).join(",")}]::text[]`;
    const conditions: string[] = [];
    if (filter.topics !== undefined && filter.topics.length > 0) conditions.push(`topics && ${textArray(filter.topics)}`);
    if (filter.excludeTopics !== undefined && filter.excludeTopics.length > 0) conditions.push(`NOT (topics && ${textArray(filter.excludeTopics)})`);
    if (filter.sinceMs != null) conditions.push(`published_ms >= ${Math.trunc(filter.sinceMs)}`);
    if (filter.untilMs != null) conditions.push(`published_ms <= ${Math.trunc(filter.untilMs)}`);
    if (filter.excludeIds !== undefined && filter.excludeIds.length > 0) conditions.push(`NOT (id = ANY(${textArray(filter.excludeIds)}))`);
    const where = conditions.length === 0 ? "" : `WHERE ${conditions.join(" AND ")}`;
    const settings: string[] = [];
    if (options.exact === true) settings.push("SET LOCAL enable_indexscan = off");
    else {
      // Without an iterative scan, a filter passing a share s of rows leaves about ef_search * s of them.
      const share = Math.min(1, Math.max(options.expectedShare ?? 1, 1e-6));
      const efSearch = this.iterativeScan ? Math.max(this.#efSearch, limit) : Math.ceil(Math.max(this.#efSearch, limit) / share);
      settings.push(`SET LOCAL hnsw.ef_search = ${Math.min(maxEfSearch, efSearch)}`);
      if (this.iterativeScan) settings.push("SET LOCAL hnsw.iterative_scan = relaxed_order");
      if (options.plan === "hnsw") settings.push("SET LOCAL enable_seqscan = off", "SET LOCAL enable_bitmapscan = off", "SET LOCAL enable_sort = off");
    }
    const vector = `'${toVectorLiteral(query)}'::vector`;
    const results = (await this.#pool.query(
      `${settings.join("; ")};
       WITH nearest AS MATERIALIZED (
         SELECT id, -(embedding <#> ${vector}) AS score FROM kindred_article_vectors ${where} ORDER BY embedding <#> ${vector} LIMIT ${limit}
       )
       SELECT id, score FROM nearest ORDER BY score DESC`,
    )) as unknown as pg.QueryResult<{ id: string; score: number }>[];
    return results[results.length - 1]!.rows;
  }
}

/** The statements that create the extension, the vectors table and its indexes, each if missing. */
export function pgvectorTableSql(options: PgvectorOptions): string {
  return `CREATE EXTENSION IF NOT EXISTS vector;
    CREATE TABLE IF NOT EXISTS kindred_article_vectors (
      id text PRIMARY KEY,
      embedding vector(${Math.trunc(options.dimensions)}) NOT NULL,
      published_ms bigint,
      topics text[] NOT NULL DEFAULT '{}'
    );
    CREATE INDEX IF NOT EXISTS kindred_article_vectors_hnsw ON kindred_article_vectors
      USING hnsw (embedding vector_ip_ops) WITH (m = ${Math.trunc(options.m ?? 16)}, ef_construction = ${Math.trunc(options.efConstruction ?? 200)});
    CREATE INDEX IF NOT EXISTS kindred_article_vectors_topics ON kindred_article_vectors USING gin (topics);`;
}

/** Whether this server's pgvector scans HNSW iteratively (`hnsw.iterative_scan`, pgvector 0.8.0). */
async function hasIterativeScan(pool: pg.Pool): Promise<boolean> {
  const { rows } = await pool.query<{ version: string | null }>("SELECT extversion AS version FROM pg_extension WHERE extname = 'vector'");
  const [major = 0, minor = 0] = (rows[0]?.version ?? "0").split(".").map(Number);
  return major > 0 || minor >= 8;
}

/** pgvector's text form, '[x,y,...]': float32 values print exactly enough to read back the same. */
export function toVectorLiteral(vector: Float32Array): string {
  return `[${Array.from(vector).join(",")}]`;
}
