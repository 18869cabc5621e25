import { describeDamage, type OpenedInput } from "./open-input.ts";
import type { SourceRecord } from "./source-record.ts";
import { describeInvalidUtf8, findInvalidUtf8 } from "./utf8.ts";

const byte = { newline: 0x0a, quote: 0x22, backslash: 0x5c, comma: 0x2c, openArray: 0x5b, closeArray: 0x5d, openObject: 0x7b, closeObject: 0x7d } as const;
const isSpace = (value: number | undefined) => value === 0x20 || value === 0x09 || value === 0x0a || value === 0x0d;

/**
 * Reads a JSON document holding an array of articles (or `{ "articles": [...] }`). The whole
 * document is held in memory: JSON Lines is the format for files too large for it. The
 * elements of a top-level array are found by their brackets and parsed one by one, so each
 * carries its line, a bad byte or bad JSON costs only its own record, and a cut file keeps
 * every complete record before the cut.
 */
export async function* readJsonArray(input: OpenedInput, file: string): AsyncGenerator<SourceRecord> {
  const chunks: Buffer[] = [];
  for await (const chunk of input.stream) chunks.push(typeof chunk === "string" ? Buffer.from(chunk) : chunk);
  const bytes = Buffer.concat(chunks);
  const damage = input.damage();
  const lines = new LineCounter(bytes);
  let at = bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf ? 3 : 0;
  while (isSpace(bytes[at])) at++;

  if (bytes[at] !== byte.openArray) {
    yield* readWholeDocument(bytes.subarray(at), file, lines.lineAt(at));
    if (damage !== null)
      yield { file, recordNumber: 2, lineNumber: lines.lineAt(bytes.length), fileProblem: describeDamage(damage, lines.lineAt(bytes.length)) };
    return;
  }
  at++;
  let recordNumber = 0;
  for (;;) {
    while (isSpace(bytes[at])) at++;
    if (bytes[at] === byte.closeArray) break;
    const start = at;
    const end = findElementEnd(bytes, start);
    const lineNumber = lines.lineAt(start);
    recordNumber++;
    if (end === null) {
      // The document stops inside this element: cut (damaged .gz) or never closed.
      yield damage !== null
        ? { file, recordNumber, lineNumber, fileProblem: describeDamage(damage, lineNumber) }
        : {
            file,
            recordNumber,
            lineNumber,
            syntaxError: `not valid JSON: the record starting at line ${lineNumber} runs to the end of the file (the array is not closed); the records before it were read`,
          };
      return;
    }
    yield parseElement(bytes.subarray(start, end), file, recordNumber, lineNumber);
    at = end;
    while (isSpace(bytes[at])) at++;
    if (bytes[at] === byte.comma) {
      at++;
      continue;
    }
    if (bytes[at] === byte.closeArray) break;
    const where = lines.lineAt(at);
    yield at >= bytes.length && damage !== null
      ? { file, recordNumber: recordNumber + 1, lineNumber: where, fileProblem: describeDamage(damage, where) }
      : {
          file,
          recordNumber: recordNumber + 1,
          lineNumber: where,
          syntaxError: `not valid JSON: expected "," or "]" after the record at line ${lineNumber}; the records before it were read, the rest of the file was not`,
        };
    return;
  }
  if (damage !== null)
    yield { file, recordNumber: recordNumber + 1, lineNumber: lines.lineAt(bytes.length), fileProblem: describeDamage(damage, lines.lineAt(bytes.length)) };
}

/** One element of the array: its bytes checked as UTF-8, then parsed as JSON on their own. */
function parseElement(bytes: Buffer, file: string, recordNumber: number, lineNumber: number): SourceRecord {
  let end = bytes.length;
  while (end > 0 && isSpace(bytes[end - 1])) end--;
  const element = bytes.subarray(0, end);
  const invalid = findInvalidUtf8(element);
  if (invalid >= 0) {
    const lineStart = element.lastIndexOf(byte.newline, invalid) + 1;
    const lineOfByte = lineNumber + countNewlines(element, 0, invalid);
    return { file, recordNumber, lineNumber: lineOfByte, syntaxError: describeInvalidUtf8(element, invalid, invalid - lineStart + 1) };
  }
  try {
    return { file, recordNumber, lineNumber, value: JSON.parse(element.toString("utf8")) };
  } catch (error) {
    return { file, recordNumber, lineNumber, syntaxError: `not valid JSON: ${(error as Error).message}` };
  }
}

/**
 * Where the array element starting at `start` ends: the offset of the "," or "]" after it at
 * the array's own depth, or null if the data ends first. Strings are skipped whole (escapes
 * included), so brackets and commas inside them do not count. Every structural character is
 * ASCII, so this works on the bytes before any decoding.
 */
function findElementEnd(bytes: Buffer, start: number): number | null {
  let depth = 0;
  for (let at = start; at < bytes.length; at++) {
    const value = bytes[at]!;
    if (value === byte.quote) {
      for (at++; at < bytes.length && bytes[at] !== byte.quote; at++) if (bytes[at] === byte.backslash) at++;
      if (at >= bytes.length) return null;
    } else if (value === byte.openArray || value === byte.openObject) depth++;
    else if (value === byte.closeArray || value === byte.closeObject) {
      if (depth === 0) return at;
      depth--;
    } else if (value === byte.comma && depth === 0) return at;
  }
  return null;
}

/** A document that is not a top-level array: `{"articles": [...]}`, or not valid at all. */
function* readWholeDocument(bytes: Buffer, file: string, lineNumber: number): Generator<SourceRecord> {
  const invalid = findInvalidUtf8(bytes);
  if (invalid >= 0) {
    const lineStart = bytes.lastIndexOf(byte.newline, invalid) + 1;
    yield {
      file,
      recordNumber: 1,
      lineNumber: lineNumber + countNewlines(bytes, 0, invalid),
      syntaxError: describeInvalidUtf8(bytes, invalid, invalid - lineStart + 1),
    };
    return;
  }
  let document: unknown;
  try {
    document = JSON.parse(bytes.toString("utf8"));
  } catch (error) {
    yield { file, recordNumber: 1, lineNumber: null, syntaxError: `not valid JSON: ${(error as Error).message}` };
    return;
  }
  const items =
    typeof document === "object" && document !== null && Array.isArray((document as { articles?: unknown }).articles)
      ? (document as { articles: unknown[] }).articles
      : null;
  if (items === null) {
    yield { file, recordNumber: 1, lineNumber: null, syntaxError: 'expected a JSON array of articles or an object with an "articles" array' };
    return;
  }
  for (let index = 0; index < items.length; index++) yield { file, recordNumber: index + 1, lineNumber: null, value: items[index] };
}

function countNewlines(bytes: Buffer, from: number, to: number): number {
  let count = 0;
  for (let at = bytes.indexOf(byte.newline, from); at !== -1 && at < to; at = bytes.indexOf(byte.newline, at + 1)) count++;
  return count;
}

/** Line numbers of byte offsets, counted forward once (offsets are asked for in order). */
class LineCounter {
  private offset = 0;
  private line = 1;
  constructor(private readonly bytes: Buffer) {}
  lineAt(offset: number): number {
    if (offset < this.offset) {
      this.offset = 0;
      this.line = 1;
    }
    this.line += countNewlines(this.bytes, this.offset, offset);
    this.offset = offset;
    return this.line;
  }
}
