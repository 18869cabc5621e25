const byte = { quote: 0x22, comma: 0x2c, cr: 0x0d, newline: 0x0a } as const;
/** Longest row held while waiting for its end. */
const maxRowBytes = 16 * 1024 * 1024;

/** One CSV row split into cells (still bytes), or why it could not be, with its lines. */
export type CsvRow = { cells: Buffer[]; line: number; endLine: number } | { error: string; line: number; endLine: number };

/** A row found in the buffer (null for an empty line) and the offset just after it. */
type Found = { row: CsvRow | null; next: number };

/**
 * Splits CSV (RFC 4180: comma-separated, `"` quotes a cell, `""` is a quote inside one, a
 * quoted cell may hold commas and line breaks, CRLF or LF ends a row) into rows of byte cells,
 * with the lines each row starts and ends on, counted by the file's own line feeds (a CRLF is
 * one line break, inside a quoted cell too). Works on bytes: every character with a meaning is
 * ASCII. A quoting mistake costs only its own row: text after a closing quote, or a quote in
 * an unquoted cell, makes the row an error ending at the end of that line; a quote never
 * closed makes its row an error ending at the end of the line it opened on, and the rows after
 * it are read as usual.
 */
export class CsvRowSplitter {
  private buffer: Buffer = Buffer.alloc(0);
  private line = 1;

  /** Rows completed by `chunk`; an unfinished row waits for more data. */
  *push(chunk: Buffer): Generator<CsvRow> {
    this.buffer = this.buffer.length === 0 ? chunk : Buffer.concat([this.buffer, chunk]);
    yield* this.drain(false);
    if (this.buffer.length > maxRowBytes) {
      // No article row is this long (texts are at most a million characters): most likely a
      // quote that is never closed. Fail the row's first line and go on, rather than holding
      // (and scanning again) the rest of the file.
      const line = this.line;
      const found = this.errorRow(
        0,
        line,
        0,
        `a row starting at line ${line} runs past ${maxRowBytes / 1024 / 1024} MiB (a quote opened there may never be closed)`,
        true,
      )!;
      this.buffer = this.buffer.subarray(found.next);
      yield found.row!;
      yield* this.drain(false);
    }
  }

  /** The rows left at the end of the data; with `cut` (a damaged file) an unfinished row is dropped. */
  *end(cut: boolean): Generator<CsvRow> {
    if (!cut) yield* this.drain(true);
    this.buffer = Buffer.alloc(0);
  }

  /** The line the next row would start on: after a cut, where the dropped row began. */
  get nextLine(): number {
    return this.line;
  }

  private *drain(final: boolean): Generator<CsvRow> {
    let offset = 0;
    while (offset < this.buffer.length) {
      const found = this.findRow(offset, final);
      if (found === null) break;
      offset = found.next;
      if (found.row !== null) yield found.row;
    }
    this.buffer = this.buffer.subarray(offset);
  }

  /** The row starting at `start`, or null when more data is needed to finish it. */
  private findRow(start: number, final: boolean): Found | null {
    const data = this.buffer;
    const firstLine = this.line;
    let innerLines = 0;
    const cells: Buffer[] = [];
    let at = start;
    for (;;) {
      if (data[at] === byte.quote) {
        const open = at;
        const parts: Buffer[] = [];
        let from = at + 1;
        let quotedLines = 0;
        for (at = from; ; at++) {
          if (at >= data.length) {
            if (!final) return null;
            return this.errorRow(open, firstLine, innerLines, `a quote opened at line ${firstLine + innerLines} is never closed`, final);
          }
          if (data[at] === byte.newline) quotedLines++;
          else if (data[at] === byte.quote) {
            if (at + 1 >= data.length && !final) return null;
            if (data[at + 1] !== byte.quote) break;
            parts.push(data.subarray(from, at + 1));
            from = at + 2;
            at++;
          }
        }
        parts.push(data.subarray(from, at));
        innerLines += quotedLines;
        at++;
        if (data[at] === byte.cr && at + 1 >= data.length && !final) return null;
        const endsCell = at >= data.length || data[at] === byte.comma || data[at] === byte.newline || (data[at] === byte.cr && data[at + 1] === byte.newline);
        if (!endsCell && quotedLines > 0) {
          // A quote that runs over line breaks into text is most likely one never closed, and the
          // "closing" quote belongs to a later row: fail only the row the quote opened on.
          return this.errorRow(
            open,
            firstLine,
            innerLines - quotedLines,
            `a quote opened at line ${firstLine + innerLines - quotedLines} is not closed at the end of its cell`,
            final,
          );
        }
        if (!endsCell)
          return this.errorRow(
            at,
            firstLine,
            innerLines,
            `text after the closing quote of a cell at line ${firstLine + innerLines} (write a quote inside a quoted cell as "")`,
            final,
          );
        cells.push(Buffer.concat(parts));
      } else {
        let end = at;
        while (end < data.length && data[end] !== byte.comma && data[end] !== byte.newline && data[end] !== byte.quote) end++;
        if (data[end] === byte.quote) {
          return this.errorRow(
            end,
            firstLine,
            innerLines,
            `a quote inside an unquoted cell at line ${firstLine + innerLines} (quote the whole cell and write the quote as "")`,
            final,
          );
        }
        if (end >= data.length && !final) return null;
        const cellEnd = data[end] === byte.newline && end > at && data[end - 1] === byte.cr ? end - 1 : end;
        cells.push(data.subarray(at, cellEnd));
        at = end;
      }
      if (data[at] === byte.comma) {
        at++;
        if (at >= data.length && !final) return null;
        continue;
      }
      let breaks = 0;
      if (data[at] === byte.cr && data[at + 1] === byte.newline) at++;
      if (data[at] === byte.newline) {
        at++;
        breaks = 1;
      }
      this.line = firstLine + innerLines + breaks;
      const emptyLine = cells.length === 1 && cells[0]!.length === 0;
      return { row: emptyLine ? null : { cells, line: firstLine, endLine: firstLine + innerLines }, next: at };
    }
  }

  /** A row with a quoting mistake at `from`: it ends at the end of that line. */
  private errorRow(from: number, firstLine: number, innerLines: number, error: string, final: boolean): Found | null {
    const lineEnd = this.buffer.indexOf(byte.newline, from);
    if (lineEnd === -1 && !final) return null;
    this.line = firstLine + innerLines + (lineEnd === -1 ? 0 : 1);
    return { row: { error, line: firstLine, endLine: firstLine + innerLines }, next: lineEnd === -1 ? this.buffer.length : lineEnd + 1 };
  }
}
