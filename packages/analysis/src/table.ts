import type { Summary } from './stats.js';

/** A table cell: text, a number, a summary (rendered "mean ± CI"), or empty. */
export type Cell = string | number | Summary | null;

/** A column of a {@link Table}. `summary` columns hold {@link Summary} cells. */
export interface Column {
  /** Column heading. */
  readonly header: string;
  /** What the column's cells hold. */
  readonly kind: 'text' | 'number' | 'summary';
}

/** A table in a renderer-neutral form: Markdown, CSV and HTML are produced from it. */
export interface Table {
  /** Stable identifier, e.g. `table-1-dhrystone`. */
  readonly id: string;
  /** Caption. */
  readonly title: string;
  /** The columns, in order. */
  readonly columns: readonly Column[];
  /** The rows, each with one cell per column. */
  readonly rows: readonly (readonly Cell[])[];
  /** A note printed under the table. */
  readonly note?: string;
}

/** How numbers are printed. */
export interface FormatOptions {
  /** Digits after the decimal point (default 1). */
  readonly decimals?: number;
}

function isSummary(c: Cell): c is Summary {
  return typeof c === 'object' && c !== null;
}

/** A cell as people read it: "47.3 ± 1.2" for a summary with a CI, the mean alone otherwise, "" for empty. */
export function formatCell(c: Cell, options: FormatOptions = {}): string {
  const d = options.decimals ?? 1;
  if (c === null) return '';
  if (typeof c === 'string') return c;
  if (typeof c === 'number') return c.toFixed(d);
  return c.ci ? `${c.mean.toFixed(d)} ± ${c.ci.halfWidth.toFixed(d)}` : c.mean.toFixed(d);
}

function markdownEscape(s: string): string {
  return s
    .replace(/\\/g, '\\\\')
    .replace(/\|/g, '\\|')
    .replace(/\r?\n|\r/g, ' ');
}

/** The table as GitHub-flavoured Markdown (title as a heading, empty cells as "—"). */
export function toMarkdown(table: Table, options: FormatOptions = {}): string {
  const head = table.columns.map((c) => markdownEscape(c.header));
  const align = table.columns.map((c) => (c.kind === 'text' ? '---' : '---:'));
  const lines = [`### ${markdownEscape(table.title)}`, '', `| ${head.join(' | ')} |`, `| ${align.join(' | ')} |`];
  for (const row of table.rows) {
    lines.push(`| ${row.map((c) => (c === null ? '—' : markdownEscape(formatCell(c, options)))).join(' | ')} |`);
  }
  if (table.note) lines.push('', markdownEscape(table.note));
  return `${lines.join('\n')}\n`;
}

/** One CSV field quoted as RFC 4180 requires: quotes around fields with `"`, `,`, CR or LF; inner quotes doubled. */
export function csvField(s: string): string {
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

function csvNumber(x: number): string {
  return Number.isFinite(x) ? String(x) : '';
}

/**
 * The table as RFC 4180 CSV (CRLF line ends, header row). Numbers are written in full
 * precision for machines; each summary column becomes four: mean, CI low, CI high and n.
 */
export function toCsv(table: Table): string {
  const header: string[] = [];
  for (const c of table.columns) {
    if (c.kind === 'summary') {
      header.push(`${c.header} mean`, `${c.header} ci low`, `${c.header} ci high`, `${c.header} n`);
    } else header.push(c.header);
  }
  const lines = [header.map(csvField).join(',')];
  for (const row of table.rows) {
    const out: string[] = [];
    table.columns.forEach((col, i) => {
      const c = row[i] ?? null;
      if (col.kind === 'summary') {
        if (isSummary(c)) {
          out.push(csvNumber(c.mean), c.ci ? csvNumber(c.ci.low) : '', c.ci ? csvNumber(c.ci.high) : '', String(c.n));
        } else out.push('', '', '', '');
      } else if (typeof c === 'number') out.push(csvNumber(c));
      else out.push(csvField(c === null ? '' : formatCell(c)));
    });
    lines.push(out.join(','));
  }
  return `${lines.join('\r\n')}\r\n`;
}

/** Escapes text for HTML element content and attribute values. */
export function escapeHtml(s: string): string {
  return s
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&#39;');
}

/** The table as an HTML `<table>` with a caption; summary cells carry n and the CI bounds in a title. */
export function toHtmlTable(table: Table, options: FormatOptions = {}): string {
  const d = options.decimals ?? 1;
  const head = table.columns
    .map((c) => `<th scope="col" class="${c.kind === 'text' ? 'text' : 'num'}">${escapeHtml(c.header)}</th>`)
    .join('');
  const body = table.rows
    .map((row) => {
      const cells = table.columns.map((col, i) => {
        const c = row[i] ?? null;
        const cls = col.kind === 'text' ? 'text' : 'num';
        if (c === null) return `<td class="${cls} empty">—</td>`;
        if (isSummary(c)) {
          const title = c.ci
            ? `n = ${c.n}, sd = ${(c.sd ?? 0).toFixed(d + 1)}, ${Math.round(c.ci.level * 100)} % CI [${c.ci.low.toFixed(d)}, ${c.ci.high.toFixed(d)}]`
            : `n = ${c.n}`;
          return `<td class="${cls}" title="${escapeHtml(title)}">${escapeHtml(formatCell(c, options))}</td>`;
        }
        return `<td class="${cls}">${escapeHtml(formatCell(c, options))}</td>`;
      });
      return `<tr>${cells.join('')}</tr>`;
    })
    .join('\n');
  const note = table.note ? `<p class="note">${escapeHtml(table.note)}</p>` : '';
  return `<table id="${escapeHtml(table.id)}"><caption>${escapeHtml(table.title)}</caption>\n<thead><tr>${head}</tr></thead>\n<tbody>\n${body}\n</tbody></table>${note}`;
}
