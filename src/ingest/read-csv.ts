import { parse } from "csv-parse";
import type { Readable } from "node:stream";
import type { SourceRecord } from "./source-record.ts";

type CsvRow = { record: Record<string, string>; info: { lines: number } };
type PendingRow = { endLine: number; value?: Record<string, string>; syntaxError?: string };

/**
 * Streams a CSV file with a header row. csv-parse handles quoting, embedded newlines and CRLF;
 * a malformed row (wrong column count, bad quoting) is reported as that record's error and the
 * parser carries on with the next row.
 */
export async function* readCsv(input: Readable, file: string): AsyncGenerator<SourceRecord> {
  // csv-parse reports skipped rows by event, possibly before earlier good rows have been read
  // from its buffer; ordering both by line keeps records numbered as they appear in the file.
  const skipped: PendingRow[] = [];
  const parser = parse({
    bom: true,
    columns: (header: string[]) => header.map((name) => name.trim().toLowerCase()),
    skip_empty_lines: true,
    skip_records_with_error: true,
    info: true,
  });
  parser.on("skip", (error: Error & { lines?: number }) => {
    skipped.push({ endLine: error.lines ?? 0, syntaxError: `malformed CSV row: ${error.message}` });
  });
  input.pipe(parser);

  let recordNumber = 0;
  let previousEndLine = 1; // the header
  const emit = (row: PendingRow): SourceRecord => {
    recordNumber++;
    const lineNumber = previousEndLine + 1;
    previousEndLine = row.endLine;
    return row.value !== undefined
      ? { file, recordNumber, lineNumber, value: row.value }
      : { file, recordNumber, lineNumber, syntaxError: row.syntaxError ?? "malformed CSV row" };
  };

  for await (const row of parser as AsyncIterable<CsvRow>) {
    while (skipped.length > 0 && skipped[0]!.endLine < row.info.lines) yield emit(skipped.shift()!);
    // Empty cells mean "absent", so optional fields validate as missing rather than as "".
    const value: Record<string, string> = {};
    for (const [key, cell] of Object.entries(row.record)) if (cell !== "") value[key] = cell;
    yield emit({ endLine: row.info.lines, value });
  }
  while (skipped.length > 0) yield emit(skipped.shift()!);
}
