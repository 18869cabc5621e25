import type { Readable } from "node:stream";
import type { SourceRecord } from "./source-record.ts";

/**
 * Reads a JSON document holding an array of articles (or `{ "articles": [...] }`). The whole
 * document is parsed at once: JSON Lines is the format for files too large for memory.
 */
export async function* readJsonArray(input: Readable, file: string): AsyncGenerator<SourceRecord> {
  const chunks: Buffer[] = [];
  for await (const chunk of input) chunks.push(typeof chunk === "string" ? Buffer.from(chunk) : chunk);
  const text = Buffer.concat(chunks).toString("utf8").replace(/^\uFEFF/, "");
  let document: unknown;
  try {
    document = JSON.parse(text);
  } catch (error) {
    yield { file, recordNumber: 1, lineNumber: null, syntaxError: `not valid JSON: ${(error as Error).message}` };
    return;
  }
  const items = Array.isArray(document)
    ? document
    : typeof document === "object" && document !== null && Array.isArray((document as { articles?: unknown }).articles)
      ? (document as { articles: unknown[] }).articles
      : null;
  if (items === null) {
    yield {
      file,
      recordNumber: 1,
      lineNumber: null,
      syntaxError: 'expected a JSON array of articles or an object with an "articles" array',
    };
    return;
  }
  for (let index = 0; index < items.length; index++) {
    yield { file, recordNumber: index + 1, lineNumber: null, value: items[index] };
  }
}
