/** A column of a text table: its header, how to align it, and whether it shrinks to fit. */
export interface TableColumn {
  header: string;
  align?: "left" | "right";
  /** The one column cut (with an ellipsis) so a row fits the terminal, such as a title. */
  flexible?: boolean;
  /** A flexible column keeps at least this many characters however narrow the terminal. */
  minWidth?: number;
}

/**
 * Renders rows as an aligned table with a header row, for people at a terminal. The flexible
 * column takes what the others leave of `width` (the terminal's columns), so a row never wraps;
 * when output is not a terminal, pass Infinity and nothing is cut.
 *
 * @example
 *   formatTable([{ header: "id" }, { header: "title", flexible: true }], [["a1", "Quake in Japan"]], 80);
 */
export function formatTable(columns: readonly TableColumn[], rows: readonly (readonly string[])[], width: number): string {
  const gap = 2;
  const natural = columns.map((column, index) => Math.max(column.header.length, ...rows.map((row) => displayLength(row[index] ?? ""))));
  const flexibleIndex = columns.findIndex((column) => column.flexible === true);
  const widths = [...natural];
  if (flexibleIndex >= 0 && Number.isFinite(width)) {
    const others = natural.reduce((sum, value, index) => (index === flexibleIndex ? sum : sum + value), 0) + gap * (columns.length - 1);
    widths[flexibleIndex] = Math.max(columns[flexibleIndex]!.minWidth ?? 20, Math.min(natural[flexibleIndex]!, width - others));
  }
  const render = (cells: readonly string[]) =>
    cells
      .map((cell, index) => {
        const fitted = fitToWidth(cell, widths[index]!);
        const pad = " ".repeat(Math.max(0, widths[index]! - displayLength(fitted)));
        return columns[index]!.align === "right" ? pad + fitted : index === cells.length - 1 ? fitted : fitted + pad;
      })
      .join(" ".repeat(gap));
  return `${[render(columns.map((column) => column.header)), ...rows.map(render)].map((line) => line.trimEnd()).join("\n")}\n`;
}

/** Characters as a terminal counts them, near enough: code points, not UTF-16 units. */
function displayLength(text: string): number {
  return [...text].length;
}

function fitToWidth(text: string, width: number): string {
  const characters = [...text];
  return characters.length <= width ? text : `${characters.slice(0, Math.max(0, width - 1)).join("")}…`;
}

/**
 * The terminal's width for stdout; when stdout is a file or a pipe, `COLUMNS` if set, else
 * Infinity (nothing is cut, so a script reading the table gets whole titles).
 */
export function terminalWidth(): number {
  if (process.stdout.isTTY) return process.stdout.columns || 100;
  const columns = Number(process.env.COLUMNS);
  return Number.isInteger(columns) && columns > 0 ? columns : Infinity;
}
