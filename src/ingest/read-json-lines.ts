import { createInterface } from "node:readline";
import type { Readable } from "node:stream";
import type { SourceRecord } from "./source-record.ts";

/**
 * Streams JSON Lines one record at a time, so a multi-GB file needs no more memory than its
 * longest line. A line that is not JSON becomes a record with `syntaxError`, never an abort.
 */
export async function* readJsonLines(input: Readable, file: string): AsyncGenerator<SourceRecord> {
  const lines = createInterface({ input, crlfDelay: Infinity });
  let lineNumber = 0;
  let recordNumber = 0;
  for await (const line of lines) {
    lineNumber++;
    // A byte-order mark at the start of a file is not part of the JSON.
    const text = (lineNumber === 1 ? line.replace(/^\uFEFF/, "") : line).trim();
    if (text === "") continue;
    recordNumber++;
    try {
      yield { file, recordNumber, lineNumber, value: JSON.parse(text) };
    } catch (error) {
      yield { file, recordNumber, lineNumber, syntaxError: `not valid JSON: ${(error as Error).message}` };
    }
  }
}
