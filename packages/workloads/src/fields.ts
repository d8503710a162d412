import { ParseError } from '@virtmig/core';

/**
 * Strict readers for the fields of a workload's JSON line. Each throws {@link ParseError}
 * naming the field, so a malformed line is reported precisely and never half-accepted.
 */
export class FieldReader {
  constructor(
    private readonly what: string,
    private readonly obj: Readonly<Record<string, unknown>>,
    private readonly path = '',
  ) {}

  private fail(key: string, reason: string): never {
    throw new ParseError(this.what, `field ${this.path}${key} ${reason}`, { field: `${this.path}${key}` });
  }

  /** A finite number >= min. */
  number(key: string, min = 0): number {
    const v = this.obj[key];
    if (typeof v !== 'number' || !Number.isFinite(v))
      this.fail(key, `must be a finite number, got ${JSON.stringify(v)}`);
    if (v < min) this.fail(key, `must be >= ${min}, got ${v}`);
    return v;
  }

  /** A whole number >= min. */
  int(key: string, min = 0): number {
    const v = this.number(key, min);
    if (!Number.isInteger(v)) this.fail(key, `must be a whole number, got ${v}`);
    return v;
  }

  /**
   * The boolean `key`.
   * @throws {@link @virtmig/core!ParseError} `E_PARSE` naming the field when it is not a boolean.
   */
  boolean(key: string): boolean {
    const v = this.obj[key];
    if (typeof v !== 'boolean') this.fail(key, `must be true or false, got ${JSON.stringify(v)}`);
    return v;
  }

  /** A string equal to one of `allowed`. */
  oneOf<T extends string>(key: string, allowed: readonly T[]): T {
    const v = this.obj[key];
    if (typeof v !== 'string' || !(allowed as readonly string[]).includes(v)) {
      this.fail(key, `must be one of ${allowed.join(', ')}, got ${JSON.stringify(v)}`);
    }
    return v as T;
  }

  /** An array of `length` (when given) elements, each checked by `check`. */
  array<T>(key: string, check: (v: unknown) => v is T, describe: string, length?: number): T[] {
    const v = this.obj[key];
    if (!Array.isArray(v)) this.fail(key, `must be an array, got ${JSON.stringify(v)}`);
    if (length !== undefined && v.length !== length) this.fail(key, `must have ${length} elements, got ${v.length}`);
    v.forEach((el, i) => {
      if (!check(el)) this.fail(`${key}[${i}]`, `must be ${describe}, got ${JSON.stringify(el)}`);
    });
    return v as T[];
  }

  /** A nested object, read with its own reader. */
  object(key: string): FieldReader {
    const v = this.obj[key];
    if (!isPlainObject(v)) this.fail(key, 'must be an object');
    return new FieldReader(this.what, v, `${this.path}${key}.`);
  }

  /** Refuses keys outside `known`: the binaries and this parser change together. */
  only(known: readonly string[]): void {
    for (const key of Object.keys(this.obj)) {
      if (!known.includes(key)) this.fail(key, 'is not a known field');
    }
  }
}

/** True for a JSON object (not an array or null). */
export function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** A finite, non-negative number. */
export function isNonNegative(v: unknown): v is number {
  return typeof v === 'number' && Number.isFinite(v) && v >= 0;
}

/** A non-negative whole number. */
export function isCount(v: unknown): v is number {
  return isNonNegative(v) && Number.isInteger(v);
}

/** Parses one line of JSON into an object, or throws {@link ParseError}. */
export function parseJsonObject(what: string, line: unknown): Record<string, unknown> {
  if (typeof line !== 'string') throw new ParseError(what, 'input is not a string');
  const text = line.trim();
  if (text.length === 0) throw new ParseError(what, 'empty line');
  if (text.includes('\n')) throw new ParseError(what, 'expected exactly one line');
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (e) {
    throw new ParseError(what, `not JSON: ${(e as Error).message}`, { line: text.slice(0, 200) });
  }
  if (!isPlainObject(value)) throw new ParseError(what, 'not a JSON object', { line: text.slice(0, 200) });
  return value;
}
