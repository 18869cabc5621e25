import pg from "pg";
import type { Logger } from "../../log/logger.ts";
import { changesChannel } from "./postgres-article-log.ts";

/**
 * Follows the database's change log: on every NOTIFY, and every `pollMs` in case the
 * notification connection is down, calls `catchUp` and then `onChanged` when anything changed.
 * `catchUp` calls its `onStart` when the catch-up begins (it may queue behind one under way).
 */
export function followChangeLog(
  databaseUrl: string,
  logger: Logger,
  catchUp: (onStart: () => void) => Promise<number>,
  onChanged: () => void,
  pollMs: number,
): { stop: () => Promise<void> } {
  let listener: pg.Client | null = null;
  let stopped = false;
  // A burst of notifications needs one catch-up that has not started yet, not one each: a
  // catch-up sees everything committed before it starts.
  let waiting = false;
  const pull = () => {
    if (stopped || waiting) return;
    waiting = true;
    catchUp(() => (waiting = false)).then(
      (changed) => changed > 0 && onChanged(),
      (error: unknown) => {
        waiting = false;
        logger.warn({ err: error }, "following the PostgreSQL change log failed; retrying");
      },
    );
  };
  const listen = async () => {
    const client = new pg.Client({ connectionString: databaseUrl });
    client.on("error", (error) => {
      logger.warn({ err: error }, "LISTEN connection lost; polling until it is back");
      if (listener === client) listener = null;
      void client.end().catch(() => undefined);
    });
    client.on("notification", pull);
    await client.connect();
    await client.query(`LISTEN ${changesChannel}`);
    if (stopped) await client.end();
    else listener = client;
    // A change committed before LISTEN took effect would have no notification: look once now.
    pull();
  };
  let connecting = false;
  const ensureListening = () => {
    if (listener !== null || connecting || stopped) return;
    connecting = true;
    listen()
      .catch((error: unknown) => logger.warn({ err: error }, "cannot LISTEN for changes; polling"))
      .finally(() => (connecting = false));
  };
  ensureListening();
  const timer = setInterval(() => {
    ensureListening();
    pull();
  }, pollMs);
  timer.unref();
  return {
    stop: async () => {
      stopped = true;
      clearInterval(timer);
      await listener?.end().catch(() => undefined);
    },
  };
}
