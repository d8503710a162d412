import { createRequire } from 'node:module';

/** The part of better-sqlite3's statement API the results database uses. */
export interface SqliteStatement {
  run(...params: unknown[]): { changes: number; lastInsertRowid: number | bigint };
  get(...params: unknown[]): unknown;
  all(...params: unknown[]): unknown[];
}

/** The part of better-sqlite3's database API the results database uses. */
export interface SqliteDatabase {
  readonly open: boolean;
  prepare(sql: string): SqliteStatement;
  exec(sql: string): this;
  pragma(source: string, options?: { simple?: boolean }): unknown;
  transaction<A extends unknown[], R>(fn: (...args: A) => R): (...args: A) => R;
  /** The whole database as bytes (sqlite3_serialize), with what its WAL holds applied. */
  serialize(): Buffer;
  close(): this;
}

type SqliteConstructor = new (
  filename: string | Buffer,
  options?: { readonly?: boolean; fileMustExist?: boolean },
) => SqliteDatabase;

/**
 * better-sqlite3 is a CommonJS native addon without bundled types (and @types/better-sqlite3 is
 * not installed); this loads it and types the subset used here. A Buffer is a serialised
 * database, opened in memory.
 */
export function openSqlite(
  filename: string | Buffer,
  options: { readonly?: boolean; fileMustExist?: boolean } = {},
): SqliteDatabase {
  const Database = createRequire(import.meta.url)('better-sqlite3') as SqliteConstructor;
  return new Database(filename, options);
}
