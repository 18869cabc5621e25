import pg from "pg";
import { KindredError, vectorsOfOldModelError } from "../../core/errors.ts";
import { normalizeArticleUrl } from "../../core/urls/normalize-article-url.ts";
import type { ArticleWrite, ModelPin, WriteStatus } from "../article-store.ts";
import { encodeTypedArray } from "../typed-array-blobs.ts";
import { isUnchangedWrite } from "../unchanged-write.ts";
import { urlTakenError } from "../url-taken-error.ts";
import { toVectorLiteral } from "./pgvector-index.ts";
import {
  pinQuery,
  type Row,
  readPin,
  recordShape,
  rowColumns,
  type SharedArticle,
  type SharedChange,
  toArticle,
  toPin,
  toRow,
  toSharedArticle,
  urlOwner,
} from "./postgres-article-rows.ts";

export type { SharedArticle, SharedChange } from "./postgres-article-rows.ts";

/** The channel a commit notifies replicas on (payload: the latest sequence number). */
export const changesChannel = "kindred_changes";

/** Every writer takes this transaction-level advisory lock first: commits (and so sequence numbers) in order. */
export const writeLockKey = 0x6b647277; // "kdrw"

/**
 * The shared store of record in PostgreSQL: articles with their vectors, the model pin and the
 * change log. Every write is one transaction under one advisory lock, so two replicas writing
 * the same article at once commit one after the other: the later one wins, both are logged.
 */
export class PostgresArticleLog {
  readonly #pool: pg.Pool;

  constructor(pool: pg.Pool) {
    this.#pool = pool;
  }

  /** The id this database was given at its first migration (a replica's local copy names it). */
  async storeId(): Promise<string> {
    return (await this.#pool.query<{ value: string }>("SELECT value FROM kindred_meta WHERE key = 'store_id'")).rows[0]!.value;
  }

  async getModelPin(): Promise<ModelPin | null> {
    return readPin(this.#pool);
  }

  /** Pins `pin` if no model is pinned yet; returns the pin in force (another replica's, if it was first). */
  async pinModelIfUnset(pin: ModelPin): Promise<ModelPin> {
    await this.#pool.query("INSERT INTO kindred_meta(key, value) VALUES ('model_id', $1), ('dimensions', $2) ON CONFLICT (key) DO NOTHING", [
      pin.modelId,
      String(pin.dimensions),
    ]);
    return (await readPin(this.#pool))!;
  }

  /**
   * Writes a batch in one transaction (same rules as the SQLite store: "unchanged" when every
   * field matches, `model_switched` when `modelId` is no longer pinned). A write without a vector
   * whose text another replica has changed meanwhile is refused as `write_conflict`.
   */
  async writeArticles(writes: readonly ArticleWrite[], modelId?: string): Promise<{ id: string; status: WriteStatus; seq: number }[]> {
    return this.#transaction(async (client, vectorTable, pin) => {
      if (modelId !== undefined) {
        if (pin !== null && pin.modelId !== modelId) {
          throw vectorsOfOldModelError(modelId, pin.modelId);
        }
      }
      const ids = [...new Set(writes.map((write) => write.article.id))];
      const urlKeys = [...new Set(writes.flatMap(({ article }) => (article.url === null ? [] : [normalizeArticleUrl(article.url)])))];
      // One round trip while the lock is held: the batch's stored rows, and the holders of its URLs.
      const { rows } = await client.query<Row>(`SELECT ${rowColumns} FROM kindred_articles WHERE id = ANY($1) OR url_key = ANY($2)`, [ids, urlKeys]);
      const idSet = new Set(ids);
      const stored = new Map(rows.filter((row) => idSet.has(row.id)).map((row) => [row.id, row] as const));
      const urlHolders = new Map(rows.filter((row) => row.url_key !== null).map((row) => [row.url_key!, row.id] as const));
      // Applied in order as SQLite does (a later write of the same id sees the earlier one); only the final state is stored.
      const current = new Map<string, { row: Row; vector: Float32Array | null }>();
      const statuses: { id: string; status: WriteStatus }[] = [];
      for (const write of writes) {
        const { article } = write;
        const before = current.get(article.id)?.row ?? stored.get(article.id);
        if (write.vector === null && (before === undefined || before.embed_hash !== write.embedHash)) {
          throw new KindredError("write_conflict", `Article "${article.id}" was changed or deleted on another replica while this write ran; send it again.`, {
            id: article.id,
          });
        }
        if (before !== undefined && isUnchangedWrite({ ...toArticle(before), textHash: before.text_hash, embedHash: before.embed_hash }, write)) {
          statuses.push({ id: article.id, status: "unchanged" });
          continue;
        }
        const urlKey = article.url === null ? null : normalizeArticleUrl(article.url);
        const owner = urlKey === null ? undefined : urlOwner(urlKey, article.id, current, urlHolders);
        if (owner !== undefined) throw urlTakenError(article.id, urlKey!, owner);
        const vector = write.vector ?? current.get(article.id)?.vector ?? null;
        current.set(article.id, { row: toRow(write, before?.seq ?? 0), vector });
        statuses.push({ id: article.id, status: before === undefined ? "created" : "updated" });
      }
      const seqs = await this.#logChanges(client, [...current.keys()], "upsert");
      const records = [...current.entries()].map(([id, { row, vector }]) => ({
        ...row,
        seq: seqs.get(id)!,
        vector: vector === null ? null : encodeTypedArray(vector).toString("base64"),
      }));
      const inserts = records.filter((record) => !stored.has(record.id));
      const updates = records.filter((record) => stored.has(record.id));
      if (inserts.length > 0) {
        await client.query(
          `INSERT INTO kindred_articles(id, title, body, url, published_at, published_ms, lang, source, image_url, section, author, url_key, topics, text_hash, embed_hash, vector, seq)
           SELECT id, title, body, url, published_at, published_ms, lang, source, image_url, section, author, url_key, topics, text_hash, embed_hash, decode(vector, 'base64'), seq
           FROM jsonb_to_recordset($1::jsonb) AS ${recordShape}`,
          [JSON.stringify(inserts)],
        );
      }
      if (updates.length > 0) {
        await client.query(
          `UPDATE kindred_articles a SET title = r.title, body = r.body, url = r.url, published_at = r.published_at,
             published_ms = r.published_ms, lang = r.lang, source = r.source, image_url = r.image_url, section = r.section,
             author = r.author, url_key = r.url_key, topics = r.topics, text_hash = r.text_hash,
             embed_hash = r.embed_hash, vector = COALESCE(decode(r.vector, 'base64'), a.vector), seq = r.seq
           FROM jsonb_to_recordset($1::jsonb) AS ${recordShape} WHERE a.id = r.id`,
          [JSON.stringify(updates)],
        );
      }
      if (vectorTable && current.size > 0) {
        // pgvector mode's copy of each vector (and the fields its filters read), in the same transaction.
        await client.query(
          `INSERT INTO kindred_article_vectors(id, embedding, published_ms, topics)
           SELECT a.id, COALESCE(r.embedding::vector, v.embedding), a.published_ms, ARRAY(SELECT jsonb_array_elements_text(a.topics))
           FROM jsonb_to_recordset($1::jsonb) AS r(id text, embedding text)
           JOIN kindred_articles a ON a.id = r.id LEFT JOIN kindred_article_vectors v ON v.id = r.id
           WHERE r.embedding IS NOT NULL OR v.embedding IS NOT NULL
           ON CONFLICT (id) DO UPDATE SET embedding = excluded.embedding, published_ms = excluded.published_ms, topics = excluded.topics`,
          [JSON.stringify([...current].map(([id, { vector }]) => ({ id, embedding: vector === null ? null : toVectorLiteral(vector) })))],
        );
      }
      return statuses.map(({ id, status }) => ({ id, status, seq: seqs.get(id) ?? stored.get(id)!.seq }));
    });
  }

  /** Deletes by id in one transaction; returns those that existed, with the change's sequence number. */
  async deleteArticles(ids: readonly string[]): Promise<{ id: string; seq: number }[]> {
    return this.#transaction(async (client, vectorTable) => {
      const deleted = (await client.query<{ id: string }>("DELETE FROM kindred_articles WHERE id = ANY($1) RETURNING id", [[...new Set(ids)]])).rows.map(
        (row) => row.id,
      );
      if (vectorTable && deleted.length > 0) await client.query("DELETE FROM kindred_article_vectors WHERE id = ANY($1)", [deleted]);
      const seqs = await this.#logChanges(client, deleted, "delete");
      return deleted.map((id) => ({ id, seq: seqs.get(id)! }));
    });
  }

  /**
   * Change-log entries after `seq`, oldest first, at most `limit`; `complete` is false when
   * pruning has removed entries after `seq` (the oldest kept is further on): then the follower
   * must copy the articles whole (`readAllArticles`) instead.
   */
  async changesSince(seq: number, limit: number): Promise<{ changes: SharedChange[]; complete: boolean }> {
    const { rows } = await this.#pool.query<{ seq: number; article_id: string; kind: "upsert" | "delete"; oldest: number }>(
      `SELECT seq::float8 AS seq, article_id, kind, (SELECT MIN(seq) FROM kindred_changes)::float8 AS oldest
       FROM kindred_changes WHERE seq > $1 ORDER BY seq LIMIT $2`,
      [seq, limit],
    );
    const oldest = rows[0]?.oldest ?? 0;
    return { changes: rows.map((row) => ({ seq: row.seq, articleId: row.article_id, kind: row.kind })), complete: oldest <= seq + 1 };
  }

  /**
   * Every stored article, in pages by id, read in one snapshot with the change-log position it
   * reflects: what a replica whose log was pruned (or a new one, once the log no longer starts at
   * the first write) copies before following the log from that position.
   */
  async readAllArticles(pageSize: number, onPage: (articles: SharedArticle[]) => void | Promise<void>): Promise<number> {
    const client = await this.#pool.connect();
    try {
      await client.query("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY");
      const seq = (await client.query<{ seq: number | null }>("SELECT MAX(seq)::float8 AS seq FROM kindred_changes")).rows[0]!.seq ?? 0;
      for (let after = ""; ; ) {
        const { rows } = await client.query<Row & { vector: Buffer }>(`SELECT ${rowColumns}, vector FROM kindred_articles WHERE id > $1 ORDER BY id LIMIT $2`, [
          after,
          pageSize,
        ]);
        if (rows.length === 0) break;
        await onPage(rows.map((row) => toSharedArticle(row)));
        after = rows[rows.length - 1]!.id;
      }
      await client.query("COMMIT");
      return seq;
    } catch (error) {
      await client.query("ROLLBACK").catch(() => undefined);
      throw error;
    } finally {
      client.release();
    }
  }

  /** Records how far a running replica has followed the log (what pruning keeps for it). */
  async recordReplicaPosition(replicaId: string, seq: number): Promise<void> {
    // Without waiting for the disk: a position lost in a crash is rewritten a second later, and
    // the writes' own commits keep their fsync. One message, so values are inlined.
    await this.#pool.query(
      `SET LOCAL synchronous_commit = off;
       INSERT INTO kindred_replicas(replica_id, followed_seq, seen_at) VALUES (${pg.escapeLiteral(replicaId)}, ${Math.trunc(seq)}, now())
       ON CONFLICT (replica_id) DO UPDATE SET followed_seq = excluded.followed_seq, seen_at = excluded.seen_at`,
    );
  }

  async forgetReplica(replicaId: string): Promise<void> {
    await this.#pool.query("DELETE FROM kindred_replicas WHERE replica_id = $1", [replicaId]);
  }

  /**
   * Prunes the change log: forgets replicas not seen for `retentionMs`, then deletes the entries
   * every remaining replica has followed (the newest entry always stays, as the log's position).
   * A replica away longer than the retention copies the articles whole when it comes back.
   * Returns how many entries went.
   */
  async pruneChanges(retentionMs: number): Promise<number> {
    const retention = `${Math.max(0, Math.trunc(retentionMs))} milliseconds`;
    await this.#pool.query("DELETE FROM kindred_replicas WHERE seen_at < now() - $1::interval", [retention]);
    const { rowCount } = await this.#pool.query(
      `DELETE FROM kindred_changes WHERE seq < (SELECT MIN(followed_seq) FROM kindred_replicas)
         AND seq < (SELECT MAX(seq) FROM kindred_changes)`,
    );
    return rowCount ?? 0;
  }

  /** The articles of these ids that exist now, with their vectors. */
  async fetchArticles(ids: readonly string[]): Promise<Map<string, SharedArticle>> {
    const { rows } = await this.#pool.query<Row & { vector: Buffer }>(`SELECT ${rowColumns}, vector FROM kindred_articles WHERE id = ANY($1)`, [ids]);
    return new Map(rows.map((row) => [row.id, toSharedArticle(row)]));
  }

  async latestSeq(): Promise<number> {
    return (await this.#pool.query<{ seq: number | null }>("SELECT MAX(seq)::float8 AS seq FROM kindred_changes")).rows[0]!.seq ?? 0;
  }

  /** Logs one change per id and notifies followers (delivered at commit); returns each id's sequence number. */
  async #logChanges(client: pg.PoolClient, ids: readonly string[], kind: "upsert" | "delete"): Promise<Map<string, number>> {
    if (ids.length === 0) return new Map();
    // One round trip (the write lock is held meanwhile): PostgreSQL folds the identical notifications into one.
    const { rows } = await client.query<{ seq: number; article_id: string }>(
      `WITH logged AS (
         INSERT INTO kindred_changes(article_id, kind) SELECT id, $2 FROM unnest($1::text[]) WITH ORDINALITY AS u(id, n) ORDER BY n RETURNING seq, article_id
       )
       SELECT seq::float8 AS seq, article_id, pg_notify($3, (SELECT MAX(seq) FROM logged)::text) FROM logged`,
      [ids, kind, changesChannel],
    );
    return new Map(rows.map((row) => [row.article_id, row.seq]));
  }

  /**
   * Runs `work` in a transaction under the write lock, with what it needs to know first:
   * whether pgvector mode's table exists (then writes keep it current) and the model pin.
   */
  async #transaction<T>(work: (client: pg.PoolClient, vectorTable: boolean, pin: ModelPin | null) => Promise<T>): Promise<T> {
    const client = await this.#pool.connect();
    try {
      // One round trip (a simple query may hold several statements): every writer waits for the
      // lock, so round trips under it bound the write rate. The table is looked for under the
      // lock, which its creation (pgvector-table.ts) holds too: no write misses it.
      const results = (await client.query(
        `BEGIN; SELECT pg_advisory_xact_lock(${writeLockKey}); SELECT to_regclass('kindred_article_vectors') IS NOT NULL AS present; ${pinQuery}`,
      )) as unknown as pg.QueryResult<Record<string, unknown>>[];
      const result = await work(client, results[2]!.rows[0]!.present === true, toPin(results[3]!.rows as { key: string; value: string }[]));
      await client.query("COMMIT");
      return result;
    } catch (error) {
      await client.query("ROLLBACK").catch(() => undefined);
      throw error;
    } finally {
      client.release();
    }
  }
}
