// Plain-text tables for humans (scripts use --json).

/** Left-aligned columns separated by two spaces; cells are single-line strings. */
export function table(headers: readonly string[], rows: readonly (readonly unknown[])[]): string {
  const cells = [headers, ...rows].map((row) => row.map(cellText));
  const widths = headers.map((_, i) => Math.max(...cells.map((r) => (r[i] ?? '').length)));
  return cells
    .map((row) =>
      row
        .map((c, i) => (i === row.length - 1 ? c : c.padEnd(widths[i] ?? 0)))
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
}

function cellText(v: unknown): string {
  if (v === null || v === undefined) return '-';
  const text =
    typeof v === 'string' ? v : typeof v === 'object' ? JSON.stringify(v) : `${v as number}`;
  return text.replace(/[\r\n\t]+/g, ' ');
}

/** Cuts `text` to `max` characters with an ellipsis. */
export const truncate = (text: string, max: number): string =>
  text.length <= max ? text : `${text.slice(0, Math.max(0, max - 1))}…`;
