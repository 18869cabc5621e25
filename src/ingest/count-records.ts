import { createInterface } from "node:readline";
import { detectInputFormat, openInput } from "./open-input.ts";

/**
 * Counts the records of a file quickly (non-empty lines; CSV minus its header) so progress
 * can show a total and an ETA. An estimate for CSV with multi-line cells, and for a damaged
 * `.gz` (the lines before the damage); null for stdin and JSON arrays, whose size is known
 * only once read.
 */
export async function countRecords(path: string): Promise<number | null> {
  const format = detectInputFormat(path);
  if (path === "-" || format === "json") return null;
  let lines = 0;
  for await (const line of createInterface({ input: (await openInput(path)).stream, crlfDelay: Infinity })) {
    if (line.trim() !== "") lines++;
  }
  return format === "csv" ? Math.max(0, lines - 1) : lines;
}
