import type { OpenedInput } from "./open-input.ts";
import { describeDamage } from "./open-input.ts";
import type { SourceRecord } from "./source-record.ts";
import { describeInvalidUtf8, findInvalidUtf8 } from "./utf8.ts";

const newline = 0x0a;

/**
 * Streams JSON Lines, the records of each piece of the stream given together, so a multi-GB
 * file needs no more memory than its longest line and a piece; one by one through the readers'
 * chain of async generators cost more than splitting the lines (a promise and a turn per record
 * and layer). Lines are split as bytes and each is checked as UTF-8 before decoding, so a bad
 * byte rejects its record instead of being replaced. A line that is not JSON becomes a record
 * with `syntaxError`, never an abort; a damaged `.gz` ends with one `fileProblem` at the line
 * that was cut, after every complete line before it.
 */
export async function* readJsonLineBatches(input: OpenedInput, file: string): AsyncGenerator<SourceRecord[]> {
  let lineNumber = 0;
  let recordNumber = 0;
  let pending: Buffer[] = [];

  /** The record of one line (without its newline), or null for a blank line. */
  const recordOf = (bytes: Buffer): SourceRecord | null => {
    lineNumber++;
    let end = bytes.length;
    if (end > 0 && bytes[end - 1] === 0x0d) end--;
    // A byte-order mark at the start of a file is not part of the JSON.
    const start = lineNumber === 1 && bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf ? 3 : 0;
    const line = bytes.subarray(start, end);
    const invalid = findInvalidUtf8(line);
    if (invalid >= 0) {
      recordNumber++;
      return { file, recordNumber, lineNumber, syntaxError: describeInvalidUtf8(line, invalid, start + invalid + 1) };
    }
    const text = line.toString("utf8").trim();
    if (text === "") return null;
    recordNumber++;
    try {
      return { file, recordNumber, lineNumber, value: JSON.parse(text) };
    } catch (error) {
      return { file, recordNumber, lineNumber, syntaxError: `not valid JSON: ${(error as Error).message}` };
    }
  };

  for await (const chunk of input.stream) {
    const bytes: Buffer = typeof chunk === "string" ? Buffer.from(chunk) : chunk;
    const records: SourceRecord[] = [];
    let from = 0;
    for (let at = bytes.indexOf(newline); at !== -1; at = bytes.indexOf(newline, from)) {
      const piece = bytes.subarray(from, at);
      const record = recordOf(pending.length === 0 ? piece : Buffer.concat([...pending, piece]));
      if (record !== null) records.push(record);
      pending = [];
      from = at + 1;
    }
    if (from < bytes.length) pending.push(bytes.subarray(from));
    if (records.length > 0) yield records;
  }
  const damage = input.damage();
  if (damage !== null) {
    // The unfinished last line was cut by the damage: reading it would index half a record.
    yield [{ file, recordNumber: recordNumber + 1, lineNumber: lineNumber + 1, fileProblem: describeDamage(damage, lineNumber + 1) }];
    return;
  }
  const last = pending.length > 0 ? recordOf(Buffer.concat(pending)) : null;
  if (last !== null) yield [last];
}
