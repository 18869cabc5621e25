import { type FieldIssue, parseArticle } from "../articles/article-schema.ts";
import type { Article } from "../core/article.ts";
import type { InputFormat, OpenedInput } from "./open-input.ts";
import { readRecordBatches } from "./read-records.ts";
import { describeRecordPosition, type SourceRecord } from "./source-record.ts";

export type ReadArticle =
  | { ok: true; article: Article; position: SourceRecord; digest?: string }
  | { ok: false; position: SourceRecord; id: string | null; issues: FieldIssue[] }
  /** A record whose exact bytes the store holds the article of (read with `storedIdsOf`): not decoded. */
  | { ok: "stored"; id: string; position: SourceRecord };

/**
 * Reads and validates articles from a file. Every record comes out, good or bad, so the caller
 * can index the good ones and report each bad one with its line, field and reason.
 */
export async function* readArticles(
  path: string,
  format?: InputFormat,
  options: { languageOf?: (text: string) => string | null; onOpen?: (input: OpenedInput) => void } = {},
): AsyncGenerator<ReadArticle> {
  for await (const batch of readArticleBatches(path, format, options)) yield* batch;
}

/**
 * `readArticles` in batches of consecutive records, for a caller reading them all (the indexer).
 * `onRecord` sees each raw record as read, before validation (`kindred eval` takes its labels
 * from them, so the file is read once). With `storedIdsOf`, records the store holds exactly come
 * out as `ok: "stored"` (see `readRecordBatches`) and the others carry their digest.
 */
export async function* readArticleBatches(
  path: string,
  format?: InputFormat,
  options: {
    languageOf?: (text: string) => string | null;
    onOpen?: (input: OpenedInput) => void;
    onRecord?: (record: SourceRecord) => void;
    storedIdsOf?: (digests: readonly string[]) => ReadonlyMap<string, string>;
  } = {},
): AsyncGenerator<ReadArticle[]> {
  for await (const records of readRecordBatches(path, format, options.onOpen, options.storedIdsOf)) {
    yield records.map((record) => {
      options.onRecord?.(record);
      return readArticle(record, options.languageOf);
    });
  }
}

function readArticle(record: SourceRecord, languageOf: ((text: string) => string | null) | undefined): ReadArticle {
  if (record.fileProblem !== undefined) return { ok: false, position: record, id: null, issues: [{ field: "(file)", reason: record.fileProblem }] };
  if (record.syntaxError !== undefined) return { ok: false, position: record, id: null, issues: [{ field: "(record)", reason: record.syntaxError }] };
  // A valid article's position without the raw value: a batch waiting to be written then
  // holds the articles only, not every record's decoded JSON as well (less to collect).
  const position = { file: record.file, recordNumber: record.recordNumber, lineNumber: record.lineNumber };
  if (record.storedArticleId !== undefined) return { ok: "stored", id: record.storedArticleId, position };
  const parsed = parseArticle(record.value, languageOf);
  if (!parsed.ok) return { ok: false, position: record, id: parsed.id, issues: parsed.issues };
  return record.digest === undefined ? { ok: true, article: parsed.article, position } : { ok: true, article: parsed.article, position, digest: record.digest };
}

/** One line per problem: `feed.jsonl:17 (record 12) id "a-9": published_at: must be an ISO 8601 date`. */
export function describeRejectedRecord(rejected: Extract<ReadArticle, { ok: false }>): string {
  // A problem with the file is about no one record: `feed.csv:1: the header has no "id" column ...`.
  if (rejected.position.fileProblem !== undefined) {
    const line = rejected.position.lineNumber === null ? "" : `:${rejected.position.lineNumber}`;
    return `${rejected.position.file}${line}: ${rejected.position.fileProblem}`;
  }
  const id = rejected.id === null ? "" : ` id "${rejected.id}"`;
  const reasons = rejected.issues.map((issue) => `${issue.field}: ${issue.reason}`).join("; ");
  return `${describeRecordPosition(rejected.position)}${id}: ${reasons}`;
}
