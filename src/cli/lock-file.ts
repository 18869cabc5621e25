import { closeSync, openSync, readFileSync, rmSync, writeSync } from "node:fs";
import { KindredError } from "../core/errors.ts";

/**
 * Takes an exclusive lock file holding this process's id, so that two runs of a command that
 * must not overlap (`kindred reindex` on one data directory) cannot. A lock whose process is gone
 * (killed, crashed) is taken over. Returns the release function.
 *
 * @example
 *   const release = acquireLockFile("index/reindex.lock", "kindred reindex");
 *   try { ... } finally { release(); }
 */
export function acquireLockFile(path: string, holder: string): () => void {
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const fd = openSync(path, "wx");
      writeSync(fd, `${process.pid}\n`);
      closeSync(fd);
      return () => rmSync(path, { force: true });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
      const pid = Number(readFileSync(path, "utf8").trim());
      if (Number.isInteger(pid) && pid > 0 && isAlive(pid)) {
        throw new KindredError(
          "invalid_parameter",
          `Another ${holder} (process ${pid}) is running on this directory; wait for it, or remove ${path} if that process is not kindred.`,
        );
      }
      rmSync(path, { force: true });
    }
  }
  throw new KindredError("invalid_parameter", `Could not take the lock ${path}.`);
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}
