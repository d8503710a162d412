import { writeFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { csvField } from '@virtmig/analysis';
import { ResultsDb, TIDY_TABLES, type TidyCell, type TidyTable, type TidyTableName } from '@virtmig/bench';
import { InvalidArgumentError } from '@virtmig/core';

/** Formats `virtmig export` writes. */
export const EXPORT_FORMATS = ['csv', 'jsonl'] as const;

/** Options of `virtmig export`. */
export interface ExportOptions {
  readonly format?: string;
  readonly table?: string;
  readonly out?: string;
}

function csvCell(c: TidyCell): string {
  if (c === null) return '';
  if (typeof c === 'boolean') return c ? 'true' : 'false';
  if (typeof c === 'number') return String(c);
  return csvField(c);
}

/** The table as RFC 4180 CSV: a header row, CRLF line ends, empty cells for nothing measured. */
export function tidyCsv(t: TidyTable): string {
  const lines = [t.columns.map((c) => csvField(c.name)).join(','), ...t.rows.map((r) => r.map(csvCell).join(','))];
  return `${lines.join('\r\n')}\r\n`;
}

/** The table as JSON Lines: one object per row, keys in column order, null for nothing measured. */
export function tidyJsonl(t: TidyTable): string {
  return t.rows.map((r) => `${JSON.stringify(Object.fromEntries(t.columns.map((c, i) => [c.name, r[i]])))}\n`).join('');
}

/**
 * Reads one tidy table of a results database, opened read-only (nothing is written beside it),
 * and returns it formatted; every option is checked before the database is opened.
 * @throws `E_INVALID_ARGUMENT` for an unknown `--format` or `--table`, an `--out` that is not a
 * file name or is the database itself; `E_NOT_FOUND` for a missing database, or the `decisions`
 * table in a database without one.
 */
export function exportText(
  dbPath: string,
  options: ExportOptions,
): { table: TidyTableName; format: (typeof EXPORT_FORMATS)[number]; rows: number; text: string } {
  const format = options.format ?? 'csv';
  if (!(EXPORT_FORMATS as readonly string[]).includes(format))
    throw new InvalidArgumentError(
      '--format',
      `must be one of ${EXPORT_FORMATS.join(', ')}, got ${JSON.stringify(format)}`,
    );
  const table = options.table ?? 'trials';
  if (!(TIDY_TABLES as readonly string[]).includes(table))
    throw new InvalidArgumentError('--table', `must be one of ${TIDY_TABLES.join(', ')}, got ${JSON.stringify(table)}`);
  if (options.out !== undefined) {
    if (options.out === '' || options.out.includes('\0'))
      throw new InvalidArgumentError('--out', 'must be a file name');
    if (resolve(options.out) === resolve(dbPath))
      throw new InvalidArgumentError('--out', 'is the results database itself');
  }
  const db = ResultsDb.open(dbPath, { readonly: true });
  try {
    const t = db.tidy(table as TidyTableName);
    const f = format as (typeof EXPORT_FORMATS)[number];
    return { table: t.name, format: f, rows: t.rows.length, text: f === 'csv' ? tidyCsv(t) : tidyJsonl(t) };
  } finally {
    db.close();
  }
}

/** `virtmig export`: the table on stdout, or in `--out` (written only once the whole table is read). */
export async function exportCommand(
  dbPath: string,
  options: ExportOptions,
  stdout: (text: string) => void,
  log: (line: string) => void,
): Promise<void> {
  const r = exportText(dbPath, options);
  if (options.out === undefined) {
    stdout(r.text);
    return;
  }
  await writeFile(options.out, r.text);
  log(`virtmig: ${r.rows} rows of ${r.table} written to ${options.out} (${r.format})`);
}
