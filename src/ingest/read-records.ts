import { detectInputFormat, type InputFormat, type OpenedInput, openInput } from "./open-input.ts";
import { readCsv } from "./read-csv.ts";
import { readJsonArray } from "./read-json-array.ts";
import { readJsonLineBatches } from "./read-json-lines.ts";
import type { SourceRecord } from "./source-record.ts";

/** Each format's records in batches: JSON Lines by piece of the stream, the others one by one. */
const readers = { jsonl: readJsonLineBatches, json: singly(readJsonArray), csv: singly(readCsv) } as const;

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
  for await (const batch of readRecordBatches(path, format, onOpen)) yield* batch;
}

/**
 * `readRecords` in batches of consecutive records (in file order): less overhead per record for a
 * caller reading them all. `storedIdsOf` lets a JSON Lines reader pass over records the store
 * holds exactly (`readJsonLineBatches`); the other formats read every record.
 */
export async function* readRecordBatches(
  path: string,
  format: InputFormat = detectInputFormat(path),
  onOpen?: (input: OpenedInput) => void,
  storedIdsOf?: (digests: readonly string[]) => ReadonlyMap<string, string>,
): AsyncGenerator<SourceRecord[]> {
  const input = await openInput(path);
  onOpen?.(input);
  const file = path === "-" ? "stdin" : path;
  yield* format === "jsonl" ? readJsonLineBatches(input, file, storedIdsOf) : readers[format](input, file);
}

function singly(reader: (input: OpenedInput, file: string) => AsyncGenerator<SourceRecord>) {
  return async function* (input: OpenedInput, file: string): AsyncGenerator<SourceRecord[]> {
    for await (const record of reader(input, file)) yield [record];
  };
}
