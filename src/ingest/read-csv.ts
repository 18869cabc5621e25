import { type CsvRow, CsvRowSplitter } from "./csv-rows.ts";
import { describeDamage, type OpenedInput } from "./open-input.ts";
import type { SourceRecord } from "./source-record.ts";
import { describeInvalidUtf8, findInvalidUtf8 } from "./utf8.ts";

/** Columns a file must have for any row to be an article: an id, and one of the texts. */
const textColumns = ["title", "text", "html"];

/**
 * Streams a CSV file with a header row. Rows carry the line they start on (counted in the
 * file's own line breaks, quoted ones included); a malformed row (wrong cell count, bad
 * quoting, bytes that are not UTF-8) is reported as that record's error and the rows after it
 * are read as usual. A header without a required column is reported once, for the file.
 */
export async function* readCsv(input: OpenedInput, file: string): AsyncGenerator<SourceRecord> {
  const splitter = new CsvRowSplitter();
  let header: string[] | null = null;
  let headerProblem: { line: number; message: string } | null = null;
  let rowsBehindHeaderProblem = 0;
  let recordNumber = 0;

  function* handle(row: CsvRow): Generator<SourceRecord> {
    if (header === null) {
      if ("error" in row) {
        headerProblem = { line: row.line, message: `the header row is not valid CSV: ${row.error}` };
        header = [];
        return;
      }
      const names = decodeCells(row.cells);
      if (typeof names === "string") {
        headerProblem = { line: row.line, message: `the header row is ${names}` };
        header = [];
        return;
      }
      header = names.map((name, index) => (index === 0 ? name.replace(/^\uFEFF/, "") : name).trim().toLowerCase());
      const missing = !header.includes("id") ? '"id"' : !textColumns.some((name) => header!.includes(name)) ? 'any of "title", "text" and "html"' : null;
      if (missing !== null) headerProblem = { line: row.line, message: `the header has no ${missing} column (its columns: ${header.join(", ") || "none"})` };
      return;
    }
    if (headerProblem !== null) {
      rowsBehindHeaderProblem++;
      return;
    }
    recordNumber++;
    const position = { file, recordNumber, lineNumber: row.line };
    if ("error" in row) {
      yield { ...position, syntaxError: `malformed CSV row: ${row.error}` };
      return;
    }
    if (row.cells.length !== header.length) {
      yield {
        ...position,
        syntaxError: `malformed CSV row: ${row.cells.length} cells where the header has ${header.length} (line ${row.line}${row.endLine === row.line ? "" : `-${row.endLine}`})`,
      };
      return;
    }
    const cells = decodeCells(row.cells);
    if (typeof cells === "string") {
      yield { ...position, syntaxError: cells };
      return;
    }
    // Empty cells mean "absent", so optional fields validate as missing rather than as "".
    const value: Record<string, string> = Object.create(null);
    header.forEach((name, index) => {
      if (cells[index] !== "") value[name] = cells[index]!;
    });
    yield { ...position, value };
  }

  for await (const chunk of input.stream) {
    for (const row of splitter.push(typeof chunk === "string" ? Buffer.from(chunk) : chunk)) yield* handle(row);
  }
  const damage = input.damage();
  for (const row of splitter.end(damage !== null)) yield* handle(row);
  const problem = headerProblem as { line: number; message: string } | null;
  if (problem !== null) {
    const rows = rowsBehindHeaderProblem === 1 ? "its 1 row was not read" : `none of its ${rowsBehindHeaderProblem} rows was read`;
    yield { file, recordNumber: 1, lineNumber: problem.line, fileProblem: `${problem.message}, so ${rows}` };
  }
  if (damage !== null) yield { file, recordNumber: recordNumber + 1, lineNumber: splitter.nextLine, fileProblem: describeDamage(damage, splitter.nextLine) };
}

/** The cells as text, or why not: the first byte that is not UTF-8, with its cell. */
function decodeCells(cells: readonly Buffer[]): string[] | string {
  const texts: string[] = [];
  for (const [index, cell] of cells.entries()) {
    const invalid = findInvalidUtf8(cell);
    if (invalid >= 0) return `${describeInvalidUtf8(cell, invalid, invalid + 1).replace(/ at column \d+/, ` at byte ${invalid + 1} of cell ${index + 1}`)}`;
    texts.push(cell.toString("utf8"));
  }
  return texts;
}
