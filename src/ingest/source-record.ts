/**
 * One raw record read from an input file, before validation, with where it came from so that
 * every problem can be reported as "file:line, record N, field: reason".
 */
export interface SourceRecord {
  file: string;
  /** 1-based record number within the file (header lines not counted). */
  recordNumber: number;
  /** 1-based line number where the record starts, when the format has lines. */
  lineNumber: number | null;
  /** The decoded value, or a syntax error that made the record unreadable. */
  value?: unknown;
  syntaxError?: string;
  /**
   * A problem with the file rather than with one record (a damaged `.gz`, a CSV header without
   * a required column), reported once at `lineNumber`; the records it made unreadable are not
   * reported one by one.
   */
  fileProblem?: string;
  /** The SHA-256 of the record's bytes, when the reader was asked for digests (JSON Lines). */
  digest?: string;
  /** The id of the stored article these exact bytes left unchanged: the record was not decoded (no `value`). */
  storedArticleId?: string;
}

/** Formats a record position for messages: `feed.jsonl:17 (record 12)`. */
export function describeRecordPosition(record: Pick<SourceRecord, "file" | "recordNumber" | "lineNumber">): string {
  const line = record.lineNumber === null ? "" : `:${record.lineNumber}`;
  return `${record.file}${line} (record ${record.recordNumber})`;
}
