/**
 * The follower of bench/replicas.ts, in its own process as a replica would be: a kindred engine
 * on a PostgreSQL replica store that follows the change log. The bench tells it (over IPC) when
 * it started each write; it answers with how long each took to be in its in-memory indexes.
 */
import { loadConfig } from "../../src/config/config.ts";
import { openEngine } from "../../src/engine/open-engine.ts";
import { silentLogger } from "../../src/log/logger.ts";
import type { PostgresReplicaStore } from "../../src/store/postgres/postgres-replica-store.ts";

const [dataDir, databaseUrl] = process.argv.slice(2) as [string, string];
const now = () => performance.timeOrigin + performance.now();
const config = loadConfig({ flags: { dataDir, databaseUrl, logLevel: "silent" }, env: {}, configFile: undefined });
const { engine, store, close } = await openEngine(config, silentLogger());
const pending = new Map<string, number>();
const lagsMs: number[] = [];
const check = () => {
  const at = now();
  for (const [id, startedAt] of pending) {
    if (engine.getEntry(id) === undefined) continue;
    lagsMs.push(at - startedAt);
    pending.delete(id);
  }
};
(store as PostgresReplicaStore).follow(() => void engine.syncFromStore().then(check));
process.on("message", (message: { type: "written"; id: string; startedAt: number } | { type: "done" }) => {
  if (message.type === "written") {
    pending.set(message.id, message.startedAt);
    // It may already be here (NOTIFY can beat this message): counted now, a lag no shorter than the truth.
    check();
    return;
  }
  const deadline = Date.now() + 10_000;
  const finish = setInterval(() => {
    check();
    if (pending.size > 0 && Date.now() < deadline) return;
    clearInterval(finish);
    process.send!({ type: "lags", lagsMs, missing: pending.size }, () => void close().then(() => process.exit(0)));
  }, 20);
});
process.send!({ type: "ready", articles: engine.size() });
