import { existsSync } from "node:fs";
import { join } from "node:path";
import type { Config } from "../config/config.ts";
import { KindredError } from "../core/errors.ts";
import { type OpenedEngine, openEngine } from "../engine/open-engine.ts";
import { createLogger } from "../log/logger.ts";
import { databaseFileName } from "../store/sqlite-article-store.ts";

/**
 * Opens an existing index for a command that only reads it (`related`, `similar`, `story`).
 * A data directory holding no index is refused, naming it: opening it would create an empty
 * one, and a mistyped `--data-dir` would then answer "no article with id ..." for everything.
 * Resolves once the kept lists a load found missing are made.
 */
export async function openIndexForReading(config: Config): Promise<OpenedEngine> {
  if (!existsSync(join(config.dataDir, databaseFileName))) {
    throw new KindredError(
      "invalid_parameter",
      `No index in ${config.dataDir} (no ${databaseFileName} there). Give the directory you indexed into with --data-dir (or KINDRED_DATA_DIR), or build one with \`kindred index FILE --data-dir ${config.dataDir}\`.`,
      { parameter: "data-dir" },
    );
  }
  const opened = await openEngine(config, createLogger(config.logLevel));
  try {
    // The answer is the ranking with every kept list, as a settled server gives it.
    await opened.engine.settled();
  } catch (error) {
    await opened.close();
    throw error;
  }
  return opened;
}
