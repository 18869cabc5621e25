import type pg from "pg";
import { KindredError } from "../../core/errors.ts";

/**
 * The PostgreSQL schema as numbered, append-only migrations: a database records the versions it
 * has applied (`kindred_schema_migrations`), and every start (or `kindred migrate`) applies the
 * missing ones in order, each in its own transaction. Never edit a released migration: add one.
 */
export const postgresMigrations: readonly { version: number; name: string; sql: string }[] = [
  {
    version: 1,
    name: "articles, change log, meta",
    sql: `
      CREATE TABLE kindred_meta (key text PRIMARY KEY, value text NOT NULL);
      INSERT INTO kindred_meta(key, value) VALUES ('store_id', gen_random_uuid()::text);
      -- The truth: every field of the article, its hashes and its vector (float32 little-endian),
      -- so a new replica builds its graph and lexical index from here without re-embedding.
      CREATE TABLE kindred_articles (
        id text PRIMARY KEY,
        title text NOT NULL,
        body text NOT NULL,
        url text,
        published_at text,
        published_ms bigint,
        lang text,
        source text,
        topics jsonb NOT NULL DEFAULT '[]',
        text_hash text NOT NULL,
        embed_hash text NOT NULL,
        vector bytea NOT NULL,
        seq bigint NOT NULL
      );
      -- The change log replicas follow. Writers take one transaction-level advisory lock, so
      -- sequence numbers are committed in order and a follower never skips a late commit.
      CREATE TABLE kindred_changes (
        seq bigserial PRIMARY KEY,
        article_id text NOT NULL,
        kind text NOT NULL CHECK (kind IN ('upsert', 'delete')),
        changed_at timestamptz NOT NULL DEFAULT now()
      );
    `,
  },
  {
    version: 2,
    name: "display fields and URL keys",
    sql: `
      ALTER TABLE kindred_articles ADD COLUMN image_url text, ADD COLUMN section text, ADD COLUMN author text, ADD COLUMN url_key text;
      -- A URL belongs to one article (core/urls/normalize-article-url.ts); writers check it
      -- under the write lock and name the owner, the constraint is the backstop. Checked at
      -- commit, so one batch may hand a URL from one article to another in any row order.
      ALTER TABLE kindred_articles ADD CONSTRAINT kindred_articles_url_key UNIQUE (url_key) DEFERRABLE INITIALLY DEFERRED;
    `,
  },
  {
    version: 3,
    name: "replicas' positions in the change log",
    sql: `
      -- Each running replica's position in the change log, refreshed as it follows: the log is
      -- pruned below the slowest replica seen within the retention window (postgres-replica-store.ts).
      CREATE TABLE kindred_replicas (
        replica_id text PRIMARY KEY,
        followed_seq bigint NOT NULL,
        seen_at timestamptz NOT NULL DEFAULT now()
      );
    `,
  },
];

/** The advisory lock key migrations run under (another replica starting at once waits). */
const migrationLockKey = 0x6b696e64; // "kind"

/**
 * Applies the migrations this database lacks; returns the versions applied. A database newer
 * than this kindred is refused with the versions named.
 *
 * @example
 *   await migratePostgres(pool); // [1] on a new database, [] after
 */
export async function migratePostgres(pool: pg.Pool): Promise<number[]> {
  const client = await pool.connect();
  try {
    await client.query("SELECT pg_advisory_lock($1)", [migrationLockKey]);
    await client.query(`CREATE TABLE IF NOT EXISTS kindred_schema_migrations (
      version integer PRIMARY KEY, name text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())`);
    const applied = new Set((await client.query<{ version: number }>("SELECT version FROM kindred_schema_migrations")).rows.map((row) => row.version));
    const newest = Math.max(0, ...applied);
    const known = postgresMigrations[postgresMigrations.length - 1]!.version;
    if (newest > known) {
      throw new KindredError(
        "index_corrupt",
        `The PostgreSQL database has schema version ${newest}; this kindred knows versions up to ${known}. Upgrade kindred.`,
        {
          databaseVersion: newest,
          knownVersion: known,
        },
      );
    }
    const done: number[] = [];
    for (const migration of postgresMigrations) {
      if (applied.has(migration.version)) continue;
      await client.query("BEGIN");
      try {
        await client.query(migration.sql);
        await client.query("INSERT INTO kindred_schema_migrations(version, name) VALUES ($1, $2)", [migration.version, migration.name]);
        await client.query("COMMIT");
      } catch (error) {
        await client.query("ROLLBACK");
        throw error;
      }
      done.push(migration.version);
    }
    return done;
  } finally {
    await client.query("SELECT pg_advisory_unlock($1)", [migrationLockKey]).catch(() => undefined);
    client.release();
  }
}
