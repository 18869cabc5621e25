import { detectInputFormat, openInput } from "./open-input.ts";

/**
 * Counts the records of a file quickly (non-empty lines; CSV minus its header) so progress
 * can show a total and an ETA. An estimate for CSV with multi-line cells, and for a damaged
 * `.gz` (the lines before the damage); null for stdin and JSON arrays, whose size is known
 * only once read. Lines are counted in the bytes, without decoding them to strings: a line
 * with nothing but ASCII whitespace is empty.
 */
export async function countRecords(path: string): Promise<number | null> {
  const format = detectInputFormat(path);
  if (path === "-" || format === "json") return null;
  let lines = 0;
  let content = false;
  for await (const chunk of (await openInput(path)).stream as AsyncIterable<Buffer>) {
    for (let i = 0; i < chunk.length; i++) {
      const byte = chunk[i]!;
      if (byte === 0x0a) {
        if (content) lines++;
        content = false;
      } else if (!content && !isAsciiSpace(byte)) {
        content = true;
      }
    }
  }
  if (content) lines++;
  return format === "csv" ? Math.max(0, lines - 1) : lines;
}

function isAsciiSpace(byte: number): boolean {
  return byte === 0x20 || (byte >= 0x09 && byte <= 0x0d);
}
