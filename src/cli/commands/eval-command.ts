import { runEval, type EvalReport } from "../../eval/run-eval.ts";
import { countRecords } from "../../ingest/count-records.ts";
import { createLogger } from "../../log/logger.ts";
import { KindredError } from "../../core/errors.ts";
import { configFromFlags, parseCommandArgs, sharedOptionsHelp } from "../cli-options.ts";
import { createProgressBar } from "../progress-bar.ts";
import { print } from "./index-command.ts";

export const evalHelp = `Usage: kindred eval FILE.jsonl [options]

Indexes a labelled file (one JSON object per line with id, title, text, label and optionally
story) into a temporary data directory, then measures every article's related list:
P@k by label, P@k by story, nDCG@k (same story 2, same label 1) and R-precision by story.

Options:
  --k N          list length measured (default 10)
  --json         print the report as JSON
  --data-dir DIR keep the index in DIR (re-running then re-embeds nothing)
${sharedOptionsHelp.replace(/^  --data-dir.*\n/m, "")}`;

/** `kindred eval FILE` */
export async function runEvalCommand(args: string[]): Promise<number> {
  const { values, positionals } = parseCommandArgs(args, { k: { type: "string" }, json: { type: "boolean" } }, true);
  if (values.help) return print(evalHelp);
  if (positionals.length === 0) {
    process.stderr.write(`kindred eval: give at least one labelled FILE.\n\n${evalHelp}\n`);
    return 2;
  }
  const k = Number(values.k ?? 10);
  if (!Number.isInteger(k) || k < 1 || k > 100) throw new KindredError("invalid_parameter", "--k must be a whole number from 1 to 100.", { parameter: "k" });
  const config = configFromFlags(values, { logLevel: "warn" });
  const logger = createLogger(config.logLevel);
  const reports: EvalReport[] = [];
  for (const file of positionals) {
    const bar = createProgressBar(`indexing ${file}`, await countRecords(file));
    try {
      reports.push(
        await runEval(file, config, logger, {
          k,
          ...(values["data-dir"] === undefined ? {} : { dataDir: config.dataDir }),
          onIndexProgress: ({ done }) => bar.update(done),
        }),
      );
    } finally {
      bar.stop();
    }
  }
  process.stdout.write(values.json ? `${JSON.stringify(reports, null, 2)}\n` : formatEvalTable(reports));
  return 0;
}

/** One column per file, one row per metric. */
export function formatEvalTable(reports: readonly EvalReport[]): string {
  const k = reports[0]?.k ?? 10;
  const number = (value: number | null, digits = 3) => (value === null ? "-" : value.toFixed(digits));
  const rows: [string, (report: EvalReport) => string][] = [
    ["articles", (report) => String(report.evaluated)],
    [`P@${k} (label)`, (report) => number(report.precisionLabel)],
    [`P@${k} (story)`, (report) => number(report.precisionStory)],
    [`nDCG@${k}`, (report) => number(report.ndcg)],
    ["R-precision (story)", (report) => number(report.rPrecisionStory)],
    ["copies folded", (report) => String(report.foldedCopies)],
    ["index time (s)", (report) => number(report.indexSeconds, 1)],
    ["query p50 / p99 (ms)", (report) => `${number(report.queryMsP50, 2)} / ${number(report.queryMsP99, 2)}`],
    ["wall time (s)", (report) => number(report.wallSeconds, 1)],
  ];
  const names = reports.map((report) => report.file.split("/").pop() ?? report.file);
  const widths = [Math.max(...rows.map(([label]) => label.length), 6), ...names.map((name, index) => Math.max(name.length, ...rows.map(([, cell]) => cell(reports[index]!).length)))];
  const line = (cells: string[]) => `${cells.map((cell, index) => (index === 0 ? cell.padEnd(widths[0]!) : cell.padStart(widths[index]!))).join("  ")}\n`;
  return `model ${reports[0]?.model ?? "?"}\n${line(["metric", ...names])}${rows.map(([label, cell]) => line([label, ...reports.map(cell)])).join("")}`;
}
