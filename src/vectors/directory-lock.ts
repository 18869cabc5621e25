import { closeSync, openSync, readFileSync, rmSync, statSync, writeSync } from "node:fs";
import { join } from "node:path";

/** A lock older than this was left by a process that died holding it. */
const staleLockMs = 30_000;
const pollMs = 5;
const sleeper = new Int32Array(new SharedArrayBuffer(4));

/**
 * Runs `critical` while holding `<directory>/<name>`, a file created exclusively, so that
 * processes sharing a data directory (kindred serve and kindred reindex both putting a graph in
 * place) take turns. Synchronous because the sections it guards are a few renames. A lock left
 * by a crashed process (killed mid-save) is taken over at once when the pid it names is gone,
 * and otherwise once stale.
 */
export function withDirectoryLock<T>(directory: string, name: string, critical: () => T): T {
  const path = join(directory, name);
  for (;;) {
    let fd: number;
    try {
      fd = openSync(path, "wx");
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
      if (isAbandoned(path)) rmSync(path, { force: true });
      else Atomics.wait(sleeper, 0, 0, pollMs);
      continue;
    }
    try {
      writeSync(fd, `${process.pid}\n`);
      return critical();
    } finally {
      closeSync(fd);
      rmSync(path, { force: true });
    }
  }
}

/** Whether the holder of the lock at `path` is gone: its pid is not running, or the lock is stale. */
function isAbandoned(path: string): boolean {
  let holder: number;
  let modifiedMs: number;
  try {
    holder = Number.parseInt(readFileSync(path, "utf8"), 10);
    modifiedMs = statSync(path).mtimeMs;
  } catch {
    return false; // released meanwhile: the next attempt takes it
  }
  if (Date.now() - modifiedMs > staleLockMs) return true;
  if (!Number.isInteger(holder)) return false;
  // This process holds no lock while it waits for one: a lock naming its pid was left by an
  // earlier process given the same pid (a restarted container's).
  if (holder === process.pid) return true;
  try {
    process.kill(holder, 0);
    return false;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "ESRCH";
  }
}
