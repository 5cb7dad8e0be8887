// Plain-text output in the style of `onehost list` / `onehost show`: aligned
// columns under upper-case headers, and "KEY : value" blocks under a title.

export interface Column<T> {
  header: string;
  value(row: T): string;
  /** Numbers and ids line up on the right, as in onehost list. */
  right?: boolean;
  /** Longer values are cut with "…" (free text such as reasons). */
  max?: number;
}

const cut = (s: string, max?: number) => (max && s.length > max ? s.slice(0, max - 1) + '…' : s);

export function table<T>(rows: T[], columns: Column<T>[]): string {
  const cells = rows.map((r) => columns.map((c) => cut(c.value(r).replace(/\s+/g, ' '), c.max)));
  const widths = columns.map((c, i) => Math.max(c.header.length, ...cells.map((row) => row[i].length)));
  const line = (values: string[]) => values.map((v, i) => (columns[i].right ? v.padStart(widths[i]) : i === values.length - 1 ? v : v.padEnd(widths[i]))).join('  ').trimEnd();
  return [line(columns.map((c) => c.header.toUpperCase())), ...cells.map(line)].join('\n');
}

/** A titled block of "KEY : value" lines (onehost show); undefined values are left out. */
export function section(title: string, fields: Array<[string, string | undefined]>): string {
  const shown = fields.filter((f): f is [string, string] => f[1] !== undefined);
  const width = Math.max(0, ...shown.map(([k]) => k.length));
  return [title, ...shown.map(([k, v]) => `${k.toUpperCase().padEnd(width)} : ${v}`)].join('\n');
}
