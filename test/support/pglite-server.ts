import { PGlite } from "@electric-sql/pglite";
import { vector } from "@electric-sql/pglite-pgvector";
import { PGLiteSocketServer } from "@electric-sql/pglite-socket";
import { freePort } from "./postgres-cluster.ts";

/**
 * PostgreSQL with pgvector in WebAssembly (PGlite), served on a loopback port so the real `pg`
 * driver runs the pgvector mode's SQL unchanged: Debian packages no pgvector for its PostgreSQL.
 * PGlite is one session: use a pool of one. `maxConnections` lets more clients in (a replica's
 * LISTEN connection beside its pool); their queries are queued one at a time into that one
 * session, so only one of them may hold a transaction open.
 */
export async function startPgliteServer(options: { maxConnections?: number } = {}): Promise<{ url: string; stop: () => Promise<void> }> {
  const db = await PGlite.create({ extensions: { vector } });
  const port = await freePort();
  const server = new PGLiteSocketServer({ db, port, host: "127.0.0.1", maxConnections: options.maxConnections ?? 1 });
  await server.start();
  return {
    url: `postgres://postgres@127.0.0.1:${port}/postgres`,
    stop: async () => {
      await server.stop();
      await db.close();
    },
  };
}
