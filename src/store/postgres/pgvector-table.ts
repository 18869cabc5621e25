import type pg from "pg";
import { decodeVector } from "../typed-array-blobs.ts";
import { PgvectorIndex, type PgvectorOptions, pgvectorTableSql, toVectorLiteral } from "./pgvector-index.ts";
import { writeLockKey } from "./postgres-article-log.ts";

/** Articles copied into the vectors table per statement while filling it. */
const fillPageSize = 1_000;

/**
 * Opens pgvector mode's table on the store of record (docs/deployment.md, "pgvector mode"):
 * creates it if missing and fills it with every stored article's vector, then drops rows of
 * articles deleted meanwhile. Runs in one transaction under the writers' lock, so a write
 * either came before (and is copied here) or comes after and finds the table, which every
 * write keeps current from then on (postgres-article-log.ts). The first start in this mode on
 * a large archive holds writes back while it copies (minutes per million articles); later
 * starts find nothing to copy.
 *
 * @example
 *   const index = await openPgvectorTable(pool, { dimensions: 512, efSearch: 128 });
 */
export async function openPgvectorTable(pool: pg.Pool, options: PgvectorOptions): Promise<{ index: PgvectorIndex; copied: number }> {
  const client = await pool.connect();
  let copied = 0;
  try {
    await client.query(`BEGIN; SELECT pg_advisory_xact_lock(${writeLockKey}); ${pgvectorTableSql(options)}`);
    for (let after = ""; ; ) {
      // Keyset pages by id: each page is the next articles the table lacks.
      const { rows } = await client.query<{ id: string; vector: Buffer; published_ms: number | null; topics: string[] }>(
        `SELECT a.id, a.vector, a.published_ms::float8 AS published_ms, a.topics FROM kindred_articles a
         WHERE a.id > $1 AND NOT EXISTS (SELECT 1 FROM kindred_article_vectors v WHERE v.id = a.id) ORDER BY a.id LIMIT $2`,
        [after, fillPageSize],
      );
      if (rows.length === 0) break;
      await client.query(
        `INSERT INTO kindred_article_vectors(id, embedding, published_ms, topics)
         SELECT r.id, r.embedding::vector, r.published_ms, ARRAY(SELECT jsonb_array_elements_text(r.topics))
         FROM jsonb_to_recordset($1::jsonb) AS r(id text, embedding text, published_ms bigint, topics jsonb)`,
        [
          JSON.stringify(
            rows.map((row) => ({ id: row.id, embedding: toVectorLiteral(decodeVector(row.vector)), published_ms: row.published_ms, topics: row.topics })),
          ),
        ],
      );
      copied += rows.length;
      after = rows[rows.length - 1]!.id;
    }
    await client.query("DELETE FROM kindred_article_vectors v WHERE NOT EXISTS (SELECT 1 FROM kindred_articles a WHERE a.id = v.id)");
    await client.query("COMMIT");
  } catch (error) {
    await client.query("ROLLBACK").catch(() => undefined);
    throw error;
  } finally {
    client.release();
  }
  return { index: await PgvectorIndex.prepare(pool, options), copied };
}
