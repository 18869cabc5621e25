import { detectInputFormat, type InputFormat, type OpenedInput, openInput } from "./open-input.ts";
import { readCsv } from "./read-csv.ts";
import { readJsonArray } from "./read-json-array.ts";
import { readJsonLines } from "./read-json-lines.ts";
import type { SourceRecord } from "./source-record.ts";

const readers = { jsonl: readJsonLines, json: readJsonArray, csv: readCsv } as const;

/**
 * Reads raw records from a JSON Lines, JSON array or CSV file (optionally gzipped), picking the
 * reader from the file name unless `format` is given. `onOpen` receives the opened input, to
 * follow how far through the file reading is.
 *
 * @example
 *   for await (const record of readRecords("data/feed.jsonl")) { ... }
 */
export async function* readRecords(
  path: string,
  format: InputFormat = detectInputFormat(path),
  onOpen?: (input: OpenedInput) => void,
): AsyncGenerator<SourceRecord> {
  const input = await openInput(path);
  onOpen?.(input);
  yield* readers[format](input, path === "-" ? "stdin" : path);
}
