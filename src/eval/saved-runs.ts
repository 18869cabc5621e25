import { readFileSync } from "node:fs";
import { basename } from "node:path";
import { z } from "zod";
import { KindredError } from "../core/errors.ts";
import { type Interval, pairedDifferenceInterval } from "../core/eval/bootstrap-interval.ts";

/**
 * One query's figures under one mode, as `kindred eval --per-query FILE` writes them (one JSON
 * object per line) and `--against FILE` reads them back: what pairs two runs query by query
 * when they cannot share an index (another model, passage plan or article vector), so their
 * difference gets an interval as narrow as two modes on one index do.
 */
export const perQueryRowSchema = z.object({
  /** The evaluation file's name (not its path): runs of copies of one set pair up. */
  file: z.string().min(1),
  mode: z.string().min(1),
  id: z.string().min(1),
  precisionLabel: z.number(),
  precisionStory: z.number().nullable(),
  ndcg: z.number(),
  rPrecisionStory: z.number().nullable(),
});
export type PerQueryRow = z.infer<typeof perQueryRowSchema>;

/** The paired difference (this run minus the saved one) over the queries both measured. */
export interface SavedRunDifference {
  queries: number;
  precisionLabel: Interval | null;
  precisionStory: Interval | null;
  rPrecisionStory: Interval | null;
}

/** A saved run's rows by file name, mode and query id. */
export type SavedRun = Map<string, PerQueryRow>;

const keyOf = (file: string, mode: string, id: string) => `${basename(file)}\u0000${mode}\u0000${id}`;

/** The rows of a file written by `--per-query`; a line that is not one names its line and field. */
export function readSavedRun(path: string): SavedRun {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (error) {
    throw new KindredError("input_unreadable", `Cannot read the saved run ${path}: ${(error as Error).message}`, { file: path });
  }
  const rows: SavedRun = new Map();
  text.split("\n").forEach((line, index) => {
    if (line.trim() === "") return;
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch {
      throw new KindredError("invalid_parameter", `${path} line ${index + 1}: not JSON.`, { file: path, line: index + 1 });
    }
    const parsed = perQueryRowSchema.safeParse(value);
    if (!parsed.success) {
      const issue = parsed.error.issues[0]!;
      const field = issue.path.join(".") || "(line)";
      throw new KindredError("invalid_parameter", `${path} line ${index + 1}, field ${field}: ${issue.message}.`, {
        file: path,
        line: index + 1,
        field,
      });
    }
    rows.set(keyOf(parsed.data.file, parsed.data.mode, parsed.data.id), parsed.data);
  });
  return rows;
}

/** This run's rows of one file and mode against the saved run's same file, mode and queries; null when the saved run has none of them. */
export function differenceFromSaved(saved: SavedRun, rows: readonly PerQueryRow[]): SavedRunDifference | null {
  const pairs = rows.flatMap((row) => {
    const before = saved.get(keyOf(row.file, row.mode, row.id));
    return before === undefined ? [] : [[row, before] as const];
  });
  if (pairs.length === 0) return null;
  const now = pairs.map(([row]) => row);
  const then = pairs.map(([, before]) => before);
  return {
    queries: pairs.length,
    precisionLabel: pairedDifferenceInterval(
      now.map((row) => row.precisionLabel),
      then.map((row) => row.precisionLabel),
    ),
    precisionStory: pairedDifferenceInterval(
      now.map((row) => row.precisionStory),
      then.map((row) => row.precisionStory),
    ),
    rPrecisionStory: pairedDifferenceInterval(
      now.map((row) => row.rPrecisionStory),
      then.map((row) => row.rPrecisionStory),
    ),
  };
}

/** The rows of one file's run under one mode, in query order (`file` is kept as its name). */
export function perQueryRows(
  file: string,
  mode: string,
  ids: readonly string[],
  measured: { p: readonly number[]; ps: readonly (number | null)[]; ndcg: readonly number[]; rp: readonly (number | null)[] },
): PerQueryRow[] {
  return ids.map((id, index) => ({
    file: basename(file),
    mode,
    id,
    precisionLabel: measured.p[index]!,
    precisionStory: measured.ps[index]!,
    ndcg: measured.ndcg[index]!,
    rPrecisionStory: measured.rp[index]!,
  }));
}
