import { statSync, writeFileSync } from "node:fs";
import { KindredError } from "../../core/errors.ts";
import type { Interval } from "../../core/eval/bootstrap-interval.ts";
import { parseSwitch } from "../../core/parse-switch.ts";
import type { ListRow } from "../../eval/list-rows.ts";
import { type ConfigReport, type EvalMode, type EvalReport, runEval } from "../../eval/run-eval.ts";
import { type PerQueryRow, readSavedRun } from "../../eval/saved-runs.ts";
import { createLogger } from "../../log/logger.ts";
import { configFromFlags, parseCommandArgs, sharedOptionsHelp } from "../cli-options.ts";
import { createProgressBar } from "../progress-bar.ts";
import { print } from "./index-command.ts";

export const evalHelp = `Usage: kindred eval FILE.jsonl [options]

Indexes a labelled file (one JSON object per line with id, title, text, label and optionally
story) into a temporary data directory, then measures every article's related list:
P@k by label, P@k by story, nDCG@k (same story 2, same label 1) and R-precision by story,
each with a 95% bootstrap interval over the articles. The file's topics are never used for
ranking (in labelled files they are the labels).

Options:
  --k N                   list length measured (default 10)
  --compare M,M           ranking modes side by side on one index: lexical, dense, hybrid,
                          and tfidf, the plain whole-document TF-IDF cosine baseline of
                          ../shared/eval/README.md, which never folds, and tfidf-folded, that
                          baseline's ranking folded as kindred folds (default hybrid); each
                          mode also shows its paired difference to every mode listed before
                          it, with its interval
  --fold true|false       fold copies of one text into one result (default true, as served)
  --ignore-dates          index the articles without their publication dates, to measure the
                          ranking as for a site that sends none (use its own --data-dir)
  --by-story-size         the story figures again for stories of 2-5, 6-10 and 11+ articles,
                          each with its folded ceiling (the JSON report always has them)
  --per-query FILE        write each query's figures under each mode to FILE (JSON Lines)
  --lists FILE            write each query's measured list under each mode to FILE (JSON
                          Lines): every result with whether it is of the query's story and
                          label and the copies folded into it, and each story member the list
                          missed, with why: folded into a result, a copy of the query, or not
                          listed (only the last is the ranking's miss)
  --against FILE          pair each mode with the same mode of a run saved by --per-query
                          (another index, model or passage plan), query by query: the
                          difference this minus that, with its interval
  --json                  print the report as JSON
  --data-dir DIR          keep the index in DIR (re-running then re-embeds nothing)
${sharedOptionsHelp.replace(/^ {2}--data-dir.*\n/m, "")}`;

const modes: readonly EvalMode[] = ["hybrid", "dense", "lexical", "tfidf", "tfidf-folded"];

/** `kindred eval FILE` */
export async function runEvalCommand(args: string[]): Promise<number> {
  const { values, positionals } = parseCommandArgs(
    args,
    {
      k: { type: "string" },
      json: { type: "boolean" },
      compare: { type: "string" },
      fold: { type: "string" },
      "ignore-dates": { type: "boolean" },
      "by-story-size": { type: "boolean" },
      "per-query": { type: "string" },
      lists: { type: "string" },
      against: { type: "string" },
    },
    true,
  );
  if (values.help) return print(evalHelp);
  if (positionals.length === 0) {
    process.stderr.write(`kindred eval: give at least one labelled FILE.\n\n${evalHelp}\n`);
    return 2;
  }
  const k = Number(values.k ?? 10);
  if (!Number.isInteger(k) || k < 1 || k > 100) throw new KindredError("invalid_parameter", "--k must be a whole number from 1 to 100.", { parameter: "k" });
  const compare = (values.compare ?? "hybrid")
    .split(",")
    .map((mode) => mode.trim())
    .filter(Boolean);
  const unknown = compare.find((mode) => !(modes as readonly string[]).includes(mode));
  if (unknown !== undefined || compare.length === 0) {
    throw new KindredError("invalid_parameter", `--compare takes modes from ${modes.join(", ")}; got "${unknown ?? ""}".`, { parameter: "compare" });
  }
  const fold = values.fold === undefined ? undefined : parseSwitch(values.fold);
  if (values.fold !== undefined && fold === undefined) {
    throw new KindredError("invalid_parameter", `--fold takes true or false; got "${values.fold}".`, { parameter: "fold" });
  }
  // Read before the index is built: a bad saved run fails at once, not after the indexing.
  const against = values.against === undefined ? undefined : readSavedRun(values.against);
  const perQueryRowsOut: PerQueryRow[] = [];
  const listRowsOut: ListRow[] = [];
  const config = configFromFlags(values, { logLevel: "warn" });
  const logger = createLogger(config.logLevel);
  const reports: EvalReport[] = [];
  for (const file of positionals) {
    // Progress by bytes read of the file: counting its records first read it once more. The
    // undated copy (--ignore-dates) is another file, whose size is not this one's.
    const size = values["ignore-dates"] ? null : (statSync(file, { throwIfNoEntry: false })?.size ?? null);
    const bar = createProgressBar(`indexing ${file}`, size, { bytes: true });
    try {
      reports.push(
        await runEval(file, config, logger, {
          k,
          compare: compare as EvalMode[],
          ...(fold === undefined ? {} : { foldDuplicates: fold }),
          ...(values["ignore-dates"] ? { ignoreDates: true } : {}),
          ...(values["data-dir"] === undefined ? {} : { dataDir: config.dataDir }),
          ...(against === undefined ? {} : { against }),
          onPerQueryRows: (rows) => perQueryRowsOut.push(...rows),
          ...(values.lists === undefined ? {} : { onListRows: (rows: ListRow[]) => listRowsOut.push(...rows) }),
          onIndexProgress: ({ done, bytesRead }) => bar.update(done, bytesRead),
          onQueryProgress: ({ done, total, mode }) => process.stderr.write(`${mode}: ${done}/${total} queries\n`),
        }),
      );
    } finally {
      bar.stop();
    }
  }
  if (values["per-query"] !== undefined) writeFileSync(values["per-query"], perQueryRowsOut.map((row) => `${JSON.stringify(row)}\n`).join(""));
  if (values.lists !== undefined) writeFileSync(values.lists, listRowsOut.map((row) => `${JSON.stringify(row)}\n`).join(""));
  process.stdout.write(values.json ? `${JSON.stringify(reports, null, 2)}\n` : formatEvalTable(reports, { byStorySize: values["by-story-size"] === true }));
  return 0;
}

/** One column per file and configuration, one row per metric; intervals in brackets. `byStorySize` adds the story figures by story size. */
export function formatEvalTable(reports: readonly EvalReport[], options: { byStorySize?: boolean } = {}): string {
  const k = reports[0]?.k ?? 10;
  const interval = (value: Interval | null) => (value === null ? "-" : `${value.mean.toFixed(3)} [${value.low.toFixed(3)}, ${value.high.toFixed(3)}]`);
  const difference = (value: Interval | null | undefined) =>
    value == null ? "-" : `${value.mean >= 0 ? "+" : ""}${value.mean.toFixed(3)} [${value.low.toFixed(3)}, ${value.high.toFixed(3)}]`;
  const columns = reports.flatMap((report) => report.configs.map((configReport) => ({ report, config: configReport })));
  const compared = reports[0]?.configs.map((config) => config.mode) ?? [];
  const versusRows = compared.slice(0, -1).flatMap((mode): [string, (column: { report: EvalReport; config: ConfigReport }) => string][] => [
    [`P@${k} (label) - ${mode}`, ({ config }) => difference(config.versus[mode]?.precisionLabel)],
    [`P@${k} (story) - ${mode}`, ({ config }) => difference(config.versus[mode]?.precisionStory)],
    [`R-precision (story) - ${mode}`, ({ config }) => difference(config.versus[mode]?.rPrecisionStory)],
  ]);
  const savedRows: [string, (column: { report: EvalReport; config: ConfigReport }) => string][] = [
    ["queries paired with the saved run", ({ config }) => String(config.versusSaved?.queries ?? 0)],
    [`P@${k} (label) - saved run`, ({ config }) => difference(config.versusSaved?.precisionLabel)],
    [`P@${k} (story) - saved run`, ({ config }) => difference(config.versusSaved?.precisionStory)],
    ["R-precision (story) - saved run", ({ config }) => difference(config.versusSaved?.rPrecisionStory)],
  ];
  // Groups by name across the files (a file may lack one): each row reads its own file's group.
  const groupNames = [...new Set(reports.flatMap((report) => report.byStorySize.map((group) => group.stories)))];
  const groupOf = (report: EvalReport, name: string) => report.byStorySize.find((group) => group.stories === name);
  const groupConfigOf = (report: EvalReport, name: string, mode: EvalMode) => groupOf(report, name)?.configs.find((config) => config.mode === mode);
  const storySizeRows = groupNames.flatMap((name): [string, (column: { report: EvalReport; config: ConfigReport }) => string][] => [
    [`stories of ${name}: queries`, ({ report }) => String(groupOf(report, name)?.queries ?? 0)],
    [`  P@${k} (story)`, ({ report, config }) => interval(groupConfigOf(report, name, config.mode)?.precisionStory ?? null)],
    ["  R-precision (story)", ({ report, config }) => interval(groupConfigOf(report, name, config.mode)?.rPrecisionStory ?? null)],
    ["  R-precision ceiling, folded", ({ report }) => interval(groupOf(report, name)?.foldedCeiling ?? null)],
  ]);
  const rows: [string, (column: { report: EvalReport; config: ConfigReport }) => string][] = [
    ["articles", ({ report }) => String(report.evaluated)],
    [`P@${k} (label)`, ({ config }) => interval(config.precisionLabel)],
    [`P@${k} (story)`, ({ config }) => interval(config.precisionStory)],
    [`nDCG@${k}`, ({ config }) => interval(config.ndcg)],
    ["R-precision (story)", ({ config }) => interval(config.rPrecisionStory)],
    ["R-precision ceiling, folded", ({ report }) => interval(report.foldedCeiling)],
    ...(options.byStorySize ? storySizeRows : []),
    ...versusRows,
    ...(columns.some(({ config }) => config.versusSaved !== undefined) ? savedRows : []),
    ["copies folded", ({ config }) => String(config.foldedCopies)],
    [
      "story members missed: folded / copies of query / not listed",
      ({ config }) => `${config.missedMembers.folded} / ${config.missedMembers.copyOfQuery} / ${config.missedMembers.notListed}`,
    ],
    ["query p50 / p99 (ms)", ({ config }) => `${config.queryMsP50.toFixed(2)} / ${config.queryMsP99.toFixed(2)}`],
    ["index time (s)", ({ report }) => report.indexSeconds.toFixed(1)],
    ["wall time (s)", ({ report }) => report.wallSeconds.toFixed(1)],
  ];
  const names = columns.map(({ report, config }) => `${report.file.split("/").pop() ?? report.file} ${config.mode}`);
  const widths = [
    Math.max(...rows.map(([label]) => label.length), 6),
    ...names.map((name, index) => Math.max(name.length, ...rows.map(([, cell]) => cell(columns[index]!).length))),
  ];
  const line = (cells: string[]) => `${cells.map((cell, index) => (index === 0 ? cell.padEnd(widths[0]!) : cell.padStart(widths[index]!))).join("  ")}\n`;
  return `model ${reports[0]?.model ?? "?"}\n${line(["metric", ...names])}${rows.map(([label, cell]) => line([label, ...columns.map(cell)])).join("")}`;
}
