import { closeSync, openSync, rmSync, statSync, writeSync } from "node:fs";
import { join } from "node:path";

/** A lock older than this was left by a process that died holding it. */
const staleLockMs = 30_000;
const pollMs = 5;
const sleeper = new Int32Array(new SharedArrayBuffer(4));

/**
 * Runs `critical` while holding `<directory>/<name>`, a file created exclusively, so that
 * processes sharing a data directory (kindred serve and kindred reindex both putting a graph in
 * place) take turns. Synchronous because the sections it guards are a few renames; a lock left
 * by a crashed process is taken over once stale.
 */
export function withDirectoryLock<T>(directory: string, name: string, critical: () => T): T {
  const path = join(directory, name);
  for (;;) {
    let fd: number;
    try {
      fd = openSync(path, "wx");
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
      const modified = statSync(path, { throwIfNoEntry: false })?.mtimeMs;
      if (modified !== undefined && Date.now() - modified > staleLockMs) rmSync(path, { force: true });
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
