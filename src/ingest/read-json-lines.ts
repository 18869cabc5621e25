import { sha256Base64Url } from "../core/content-hash.ts";
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
 *
 * With `storedIdsOf`, each record carries the SHA-256 of its line's bytes (`digest`), and a
 * line whose digest the store answers for (`SqliteRecordDigests`: an article it holds exactly as
 * these bytes left it) comes out as `storedArticleId` without being decoded or parsed.
 */
export async function* readJsonLineBatches(
  input: OpenedInput,
  file: string,
  storedIdsOf?: (digests: readonly string[]) => ReadonlyMap<string, string>,
): AsyncGenerator<SourceRecord[]> {
  let lineNumber = 0;
  let recordNumber = 0;
  let pending: Buffer[] = [];

  /** A line's JSON without its newline, a carriage return or (first line) a byte-order mark, and where it starts. */
  const contentOf = (bytes: Buffer, isFirstLine: boolean): { line: Buffer; start: number } => {
    let end = bytes.length;
    if (end > 0 && bytes[end - 1] === 0x0d) end--;
    const start = isFirstLine && bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf ? 3 : 0;
    return { line: bytes.subarray(start, end), start };
  };

  /** The record of one line, or null for a blank line; `storedArticleId` when the store holds its bytes. */
  const recordOf = ({ line, start }: { line: Buffer; start: number }, digest: string | undefined, storedArticleId: string | undefined): SourceRecord | null => {
    lineNumber++;
    if (storedArticleId !== undefined) {
      // Bytes the store already holds an article of, exactly: nothing to decode.
      recordNumber++;
      return { file, recordNumber, lineNumber, digest, storedArticleId };
    }
    const invalid = findInvalidUtf8(line);
    if (invalid >= 0) {
      recordNumber++;
      return { file, recordNumber, lineNumber, syntaxError: describeInvalidUtf8(line, invalid, start + invalid + 1) };
    }
    const text = line.toString("utf8").trim();
    if (text === "") return null;
    recordNumber++;
    try {
      return { file, recordNumber, lineNumber, value: JSON.parse(text), ...(digest === undefined ? {} : { digest }) };
    } catch (error) {
      return { file, recordNumber, lineNumber, syntaxError: `not valid JSON: ${(error as Error).message}` };
    }
  };

  /** The records of consecutive lines; with `storedIdsOf`, their digests looked up in one call. */
  const recordsOf = (lines: Buffer[]): SourceRecord[] => {
    const contents = lines.map((bytes, index) => contentOf(bytes, lineNumber + index === 0));
    const digests = storedIdsOf === undefined ? null : contents.map(({ line }) => sha256Base64Url(line));
    const storedIds = digests === null ? null : storedIdsOf!(digests);
    const records: SourceRecord[] = [];
    contents.forEach((content, index) => {
      const digest = digests?.[index];
      const record = recordOf(content, digest, digest === undefined ? undefined : storedIds?.get(digest));
      if (record !== null) records.push(record);
    });
    return records;
  };

  for await (const chunk of input.stream) {
    const bytes: Buffer = typeof chunk === "string" ? Buffer.from(chunk) : chunk;
    const lines: Buffer[] = [];
    let from = 0;
    for (let at = bytes.indexOf(newline); at !== -1; at = bytes.indexOf(newline, from)) {
      const piece = bytes.subarray(from, at);
      lines.push(pending.length === 0 ? piece : Buffer.concat([...pending, piece]));
      pending = [];
      from = at + 1;
    }
    if (from < bytes.length) pending.push(bytes.subarray(from));
    const records = recordsOf(lines);
    if (records.length > 0) yield records;
  }
  const damage = input.damage();
  if (damage !== null) {
    // The unfinished last line was cut by the damage: reading it would index half a record.
    yield [{ file, recordNumber: recordNumber + 1, lineNumber: lineNumber + 1, fileProblem: describeDamage(damage, lineNumber + 1) }];
    return;
  }
  if (pending.length > 0) {
    const last = recordsOf([Buffer.concat(pending)]);
    if (last.length > 0) yield last;
  }
}
