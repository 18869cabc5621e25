import { readFileSync } from "node:fs";
import type { PassagePlan } from "../core/embed-text.ts";
import { treeFile } from "../paths/tree-root.ts";
import { SqliteRecordDigests, type StoredVersion } from "../store/sqlite-record-digests.ts";

/** What the indexer asks of remembered record digests (`indexFiles`'s `recordDigests`). */
export interface RecordDigests {
  /** For each digest of records the store holds exactly, the id of the record's article. */
  storedIdsOf(digests: readonly string[]): ReadonlyMap<string, string>;
  /** Notes that the record with `digest` left `articleId` stored at `version`. */
  remember(articleId: string, digest: string, version: StoredVersion): void;
}

/**
 * The record digests of a SQLite data directory for a run that embeds with `modelId` and `plan`:
 * the pipeline key names them and kindred's version (a new version may read records
 * differently), so a run under any other finds none of the digests and compares in full.
 *
 * @example
 *   const digests = openRecordDigests(config.dataDir, modelId, config.embedPassages);
 *   await indexFiles(engine, paths, { recordDigests: digests });
 *   digests.close();
 */
export function openRecordDigests(
  dataDir: string,
  modelId: string,
  plan: PassagePlan,
): RecordDigests & { flush(options?: { whenFree?: boolean }): void; close(): void } {
  const store = SqliteRecordDigests.open(dataDir, `${modelId} ${plan} kindred ${kindredVersion()}`);
  return {
    storedIdsOf: (digests) => store.storedIdsOf(digests),
    remember: (articleId, digest, version) => store.remember(articleId, digest, version),
    flush: (options) => store.flush(options),
    close: () => store.close(),
  };
}

/** kindred's version, from its package.json (beside src/ and dist/). */
function kindredVersion(): string {
  const manifest = JSON.parse(readFileSync(treeFile("../package.json"), "utf8")) as { version?: unknown };
  return String(manifest.version);
}
