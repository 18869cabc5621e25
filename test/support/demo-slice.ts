import { createReadStream } from "node:fs";
import { createInterface } from "node:readline";
import { createGunzip } from "node:zlib";

export const demoCorpusPath = new URL("../../data/wcep-2025-2026.jsonl.gz", import.meta.url).pathname;

/** The item about Hegseth halting cyber operations against Russia, and the Pentagon's denial. */
export const hegsethId = "wcep-2025-03-02-01055";
export const pentagonDenialId = "wcep-2025-03-05-01097";

/**
 * Demo items published between two dates (inclusive), as raw JSON objects: a real slice of the
 * shipped corpus, small enough to embed in seconds.
 */
export async function readDemoSlice(fromDate: string, toDate: string): Promise<Record<string, unknown>[]> {
  const items: Record<string, unknown>[] = [];
  const lines = createInterface({ input: createReadStream(demoCorpusPath).pipe(createGunzip()), crlfDelay: Infinity });
  for await (const line of lines) {
    if (line.trim() === "") continue;
    const item = JSON.parse(line) as Record<string, unknown>;
    const date = String(item.published_at);
    if (date >= fromDate && date <= toDate) items.push(item);
  }
  return items;
}
