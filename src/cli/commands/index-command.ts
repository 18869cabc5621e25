import { statSync } from "node:fs";
import { resolveModelId } from "../../config/config.ts";
import type { OpenedEngine } from "../../engine/open-engine.ts";
import { type IndexReport, indexFiles } from "../../indexer/index-files.ts";
import { openRecordDigests } from "../../indexer/record-digests.ts";
import { createUnchangedCheck } from "../../indexer/unchanged-articles.ts";
import { SqliteArticleLookup } from "../../store/sqlite-article-lookup.ts";
import { SqliteArticleStore } from "../../store/sqlite-article-store.ts";
import { SqliteLanguageMemo } from "../../store/sqlite-language-memo.ts";
import { configFromFlags, parseCommandArgs, sharedOptionsHelp } from "../cli-options.ts";
import { createProgressBar } from "../progress-bar.ts";

export const indexHelp = `Usage: kindred index FILE... [options]

Indexes articles from JSON Lines (.jsonl, .ndjson), JSON arrays (.json) or CSV with a header
(.csv); any of them may be gzipped (.gz); "-" reads JSON Lines from stdin. Unchanged articles
are not re-embedded, and a JSON Lines record whose exact bytes an earlier run stored (its
article untouched since) is not even parsed again. Every bad record is reported with its file,
line, field and reason, and every good record is still indexed.

An interrupted run resumes when run again: every batch is committed before it counts, and
committed articles come back "unchanged" without the model.

Options:
  --strict           exit with status 1 if any record failed
  --prune            afterwards delete stored articles the input does not hold (the input is
                     the whole collection); skipped if a record's id could not be read
  --batch-size N     articles per write batch (default 256)
${sharedOptionsHelp}

Exit status: 0 on success; 1 if nothing was readable, or with --strict if any record failed.`;

/** `kindred index FILE...` */
export async function runIndexCommand(args: string[]): Promise<number> {
  const { values, positionals } = parseCommandArgs(args, { strict: { type: "boolean" }, prune: { type: "boolean" }, "batch-size": { type: "string" } }, true);
  if (values.help) return print(indexHelp);
  if (positionals.length === 0) {
    process.stderr.write(`kindred index: give at least one FILE.\n\n${indexHelp}\n`);
    return 2;
  }
  const config = configFromFlags(values);
  const batchSize = values["batch-size"] === undefined ? 256 : Number(values["batch-size"]);
  // Progress by bytes read of the input's size: counting records first read every file twice.
  const sizes = positionals.map((path) => (path === "-" ? null : (statSync(path, { throwIfNoEntry: false })?.size ?? 0)));
  const total = sizes.some((size) => size === null) ? null : sizes.reduce<number>((sum, size) => sum + (size ?? 0), 0);

  // The engine (indexes, writer thread, model) is opened only once an article needs writing:
  // with the SQLite store, articles it already holds exactly are counted unchanged without it,
  // and languages already detected are remembered, so a re-index that changes nothing reads the
  // input and the store and nothing more.
  const local = config.databaseUrl === undefined ? SqliteArticleStore.open(config.dataDir) : null;
  const memo = local === null ? null : SqliteLanguageMemo.open(config.dataDir);
  const lookup = local === null ? null : SqliteArticleLookup.open(config.dataDir);
  const modelId = resolveModelId(config, local?.getModelPin()?.modelId);
  // Records whose exact bytes a run stored are not even decoded the next time.
  const digests = local === null ? null : openRecordDigests(config.dataDir, modelId, config.embedPassages);
  let opened: Promise<OpenedEngine> | null = null;
  const bar = createProgressBar("indexing", total, { bytes: true, showAfterMs: 1_000 });
  const rejected: string[] = [];
  let report: IndexReport;
  try {
    report = await indexFiles(
      // The index command writes its graph when done: the recall self-check on open is for a server.
      async () => {
        // Imported here, with the logger (pino), so that a run writing nothing loads neither.
        opened ??= Promise.all([import("../../engine/open-engine.ts"), import("../../log/logger.ts")]).then(([{ openEngine }, { createLogger }]) =>
          openEngine(config, createLogger(config.logLevel), { checkRecallOnOpen: false, bulkLoad: true }),
        );
        return (await opened).engine;
      },
      positionals,
      {
        batchSize,
        prune: values.prune === true,
        onProgress: ({ done, bytesRead }) => {
          bar.update(done, bytesRead);
          memo?.flush();
          digests?.flush({ whenFree: true });
        },
        onRejected: (message) => rejected.push(message),
        ...(memo === null ? {} : { languageOf: (text: string) => memo.languageOf(text) }),
        ...(lookup === null ? {} : { unchangedAmong: createUnchangedCheck((ids) => lookup.findByIds(ids), modelId, config.embedPassages) }),
        ...(digests === null ? {} : { recordDigests: digests }),
      },
    );
    // Lists the opened index lacked (written by an older version) are made before the save, so a later start has them.
    await (await (opened as Promise<OpenedEngine> | null))?.engine.settled();
  } finally {
    bar.stop();
    memo?.close();
    digests?.close();
    lookup?.close();
    local?.close();
    await (await (opened as Promise<OpenedEngine> | null))?.close();
  }
  for (const message of rejected) process.stderr.write(`rejected: ${message}\n`);
  if (report.pruneSkipped !== undefined) process.stderr.write(`kindred index: --prune skipped: ${report.pruneSkipped}.\n`);
  const seconds = report.elapsedMs / 1000;
  const processed = report.indexed + report.updated + report.unchanged;
  process.stdout.write(
    `indexed ${report.indexed}, updated ${report.updated}, unchanged ${report.unchanged}, failed ${report.failed}` +
      `${values.prune ? `, deleted ${report.deleted}` : ""} ` +
      `in ${seconds.toFixed(1)} s (${(processed / Math.max(seconds, 0.001)).toFixed(1)} articles/s) into ${config.dataDir}\n`,
  );
  if (processed === 0 && report.failed > 0) return 1;
  if (processed === 0 && report.failed === 0) {
    process.stderr.write("kindred index: the input held no articles.\n");
    return 1;
  }
  return values.strict && report.failed > 0 ? 1 : 0;
}

export function print(text: string): number {
  process.stdout.write(`${text}\n`);
  return 0;
}
