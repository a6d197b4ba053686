/** The widest a table may be, so it fits a standard terminal. */
export const TABLE_WIDTH = 100;
const GAP = '  ';
/** The space between two columns. */
export const COLUMN_GAP = GAP.length;

export interface Column {
  header: string;
  align?: 'left' | 'right';
  /** The column that gives up width first when the table is too wide (COMMAND, REASON). */
  flex?: boolean;
}

/** Removes control characters, so a cell can never break the table's lines. */
export function clean(text: string): string {
  // eslint-disable-next-line no-control-regex
  return text.replace(/[\u0000-\u001f\u007f-\u009f]/g, ' ');
}

export function truncate(text: string, width: number): string {
  if (text.length <= width) return text;
  if (width <= 1) return text.slice(0, width);
  return `${text.slice(0, width - 1)}…`;
}

function naturalWidths(columns: readonly Column[], cells: readonly (readonly string[])[]): number[] {
  return columns.map((column, index) => Math.max(column.header.length, ...cells.map((row) => row[index]?.length ?? 0)));
}

/** How wide `columns` are at their natural widths (before any truncation), gaps included. */
export function naturalWidth(columns: readonly Column[], rows: readonly (readonly string[])[]): number {
  const widths = naturalWidths(
    columns,
    rows.map((row) => row.map(clean)),
  );
  return widths.reduce((sum, width) => sum + width, 0) + COLUMN_GAP * Math.max(0, widths.length - 1);
}

function fitWidths(natural: number[], columns: readonly Column[], maxWidth: number): number[] {
  const widths = [...natural];
  const total = (): number => widths.reduce((sum, width) => sum + width, 0) + GAP.length * (widths.length - 1);
  const flex = columns.findIndex((column) => column.flex === true);
  if (flex >= 0 && total() > maxWidth) {
    const floor = Math.min(natural[flex] ?? 0, Math.max(columns[flex]?.header.length ?? 0, 10));
    widths[flex] = Math.max(floor, (widths[flex] ?? 0) - (total() - maxWidth));
  }
  // Still too wide: take one character at a time from the widest column.
  while (total() > maxWidth) {
    let widest = 0;
    for (let index = 1; index < widths.length; index += 1)
      if ((widths[index] ?? 0) > (widths[widest] ?? 0)) widest = index;
    if ((widths[widest] ?? 0) <= 3) break;
    widths[widest] = (widths[widest] ?? 0) - 1;
  }
  return widths;
}

/**
 * Renders rows under headers, padded into columns and truncated with "…" to fit `maxWidth`.
 * `paint` colours a cell after padding, so colour codes never count towards the width.
 */
export function renderTable(
  columns: readonly Column[],
  rows: readonly (readonly string[])[],
  options: { maxWidth?: number; paint?: (text: string, row: number, column: number) => string } = {},
): string {
  const cells = rows.map((row) => columns.map((_, index) => clean(row[index] ?? '')));
  const natural = naturalWidths(columns, cells);
  const widths = fitWidths(natural, columns, options.maxWidth ?? TABLE_WIDTH);
  const line = (values: readonly string[], row: number | null): string =>
    values
      .map((value, index) => {
        const width = widths[index] ?? 0;
        const text = truncate(value, width);
        const last = index === values.length - 1;
        const padded = columns[index]?.align === 'right' ? text.padStart(width) : last ? text : text.padEnd(width);
        return row === null || !options.paint ? padded : options.paint(padded, row, index);
      })
      .join(GAP);
  return (
    [
      line(
        columns.map((column) => column.header),
        null,
      ),
      ...cells.map((row, index) => line(row, index)),
    ].join('\n') + '\n'
  );
}
