import { existsSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { z } from "zod";
import { KindredError } from "../../core/errors.ts";

/** The file beside the local copy naming the database it copies and how far it has followed its log. */
export const replicaCursorFileName = "postgres-replica.json";

const cursorSchema = z.object({ storeId: z.string().min(1), seq: z.number().int().min(0) });

/**
 * How far the local copy in `dataDir` has followed the database `storeId`'s log (0 for a new
 * copy). Refuses a directory that copies another database, or holds a SQLite index of its own.
 */
export function readReplicaCursor(dataDir: string, storeId: string, local: { count(): number }): number {
  const cursorPath = join(dataDir, replicaCursorFileName);
  if (existsSync(cursorPath)) {
    const saved = cursorSchema.safeParse(JSON.parse(readFileSync(cursorPath, "utf8")));
    if (!saved.success)
      throw new KindredError(
        "index_corrupt",
        `${cursorPath} is unreadable (${saved.error.issues[0]!.message}); start this replica with an empty data directory.`,
      );
    if (saved.data.storeId !== storeId) {
      throw new KindredError(
        "index_corrupt",
        `The data directory ${dataDir} holds a copy of another PostgreSQL database (${saved.data.storeId}, not ${storeId}); give this replica an empty data directory.`,
      );
    }
    return saved.data.seq;
  }
  if (local.count() > 0) {
    throw new KindredError(
      "index_corrupt",
      `The data directory ${dataDir} holds a SQLite index of its own; a PostgreSQL replica needs an empty data directory (its local copy is filled from the database).`,
    );
  }
  return 0;
}

/** Written after the local copy committed: a crash in between re-applies the same states, which are then "unchanged". */
export function saveReplicaCursor(dataDir: string, storeId: string, seq: number): void {
  const path = join(dataDir, replicaCursorFileName);
  writeFileSync(`${path}.tmp`, JSON.stringify({ storeId, seq }));
  renameSync(`${path}.tmp`, path);
}
