import { InvalidArgumentError } from '@virtmig/core';
import { STRUCTS } from './generated/structs.js';
import { NativePointer } from './native-pointer.js';
import type { CValue, Kind } from './signature.js';

/**
 * Checks one call's JS arguments against a C signature and turns them, in place, into what the
 * engine receives (native pointers unwrapped): callers pass their own rest-parameter array, so a
 * call allocates nothing more. Throws `E_INVALID_ARGUMENT` naming the function and parameter.
 */
export type ArgumentChecker = (args: unknown[]) => unknown[];

type Check = (v: unknown) => unknown;

const INT_RANGES: Partial<Record<Kind, readonly [bigint, bigint]>> = {
  char: [-(2n ** 7n), 2n ** 7n - 1n],
  uchar: [0n, 2n ** 8n - 1n],
  short: [-(2n ** 15n), 2n ** 15n - 1n],
  ushort: [0n, 2n ** 16n - 1n],
  int: [-(2n ** 31n), 2n ** 31n - 1n],
  uint: [0n, 2n ** 32n - 1n],
  long: [-(2n ** 63n), 2n ** 63n - 1n],
  ulong: [0n, 2n ** 64n - 1n],
  llong: [-(2n ** 63n), 2n ** 63n - 1n],
  ullong: [0n, 2n ** 64n - 1n],
  size_t: [0n, 2n ** 64n - 1n],
};

// Both engines take 64-bit integers beyond 2^53 as bigint; 32-bit ones only as numbers.
const WIDE = new Set<Kind>(['long', 'ulong', 'llong', 'ullong', 'size_t']);

const SCALAR_BYTES: Readonly<Record<string, number>> = {
  char: 1,
  'unsigned char': 1,
  int: 4,
  'unsigned int': 4,
  long: 8,
  'unsigned long': 8,
  'long long': 8,
  'unsigned long long': 8,
  size_t: 8,
  double: 8,
};

const describe = (v: unknown): string => {
  if (typeof v === 'bigint') return `${v}n`;
  if (typeof v === 'string') return JSON.stringify(v.length > 40 ? `${v.slice(0, 40)}...` : v);
  if (typeof v === 'number' || typeof v === 'boolean' || v === null || v === undefined) return String(v);
  if (Buffer.isBuffer(v)) return `a Buffer of ${v.length} bytes`;
  return typeof v === 'function' ? 'a function' : `an object (${Object.prototype.toString.call(v)})`;
};

/** Handles are libvirt's opaque objects (virDomainPtr, ...): their structs have no public fields. */
function handleType(ctype: string): boolean {
  return /^vir\w+Ptr$/.test(ctype) && !(ctype.slice(0, -3) in STRUCTS);
}

/** Bytes a Buffer must hold for C to write one element through `ctype` (0: unknown, e.g. `void *`). */
function pointeeBytes(ctype: string): number {
  const t = ctype
    .replace(/\bconst\b/g, '')
    .replace(/\s+/g, ' ')
    .trim();
  if (/\*\s*\*$|Ptr\s*\*+$/.test(t)) return 8;
  const struct = /^(vir\w+)Ptr$/.exec(t);
  if (struct) return STRUCTS[struct[1] as keyof typeof STRUCTS]?.size ?? 0;
  const scalar = /^(.*?)\s*\*$/.exec(t);
  return scalar ? (SCALAR_BYTES[scalar[1] as string] ?? 0) : 0;
}

function checkFor(fn: string, arg: CValue): Check {
  const field = `${fn}(${arg.name ?? '?'})`;
  const refuse = (v: unknown, what: string): never => {
    throw new InvalidArgumentError(field, `must be ${what} (C ${arg.ctype}), got ${describe(v)}`, { fn });
  };
  const range = INT_RANGES[arg.kind];
  if (range) {
    const [min, max] = range;
    const wide = WIDE.has(arg.kind);
    const what = `an integer in [${min}, ${max}]${wide ? ' (a number, or a bigint beyond 2^53)' : ''}`;
    const nMin = Number(min);
    const nMax = Number(max);
    return (v) => {
      if (typeof v === 'number') {
        if (Number.isSafeInteger(v) && v >= nMin && v <= nMax) return v;
      } else if (wide && typeof v === 'bigint' && v >= min && v <= max) {
        return v;
      }
      return refuse(v, what);
    };
  }
  switch (arg.kind) {
    case 'double':
      return (v) => (typeof v === 'number' && Number.isFinite(v) ? v : refuse(v, 'a finite number'));
    case 'string':
      return (v) => {
        if (v === null) return v;
        if (typeof v === 'string' && !v.includes('\0')) return v;
        return refuse(v, 'a string without NUL characters, or null');
      };
    case 'callback':
      return (v) => {
        if (v === null) return v;
        if (NativePointer.is(v) && v.ctype === 'callback') return NativePointer.unwrap(v);
        return refuse(v, "a callback made by the engine's callback(), or null");
      };
    case 'pointer': {
      if (handleType(arg.ctype)) {
        return (v) => {
          if (v === null) return v;
          // Untyped pointers were read from memory (a list of domains libvirt returned).
          if (NativePointer.is(v) && (v.ctype === arg.ctype || v.ctype === undefined)) return NativePointer.unwrap(v);
          return refuse(v, `a ${arg.ctype} the binding returned, or null`);
        };
      }
      const bytes = pointeeBytes(arg.ctype);
      const what = `a Buffer${bytes ? ` of at least ${bytes} bytes` : ''}, a pointer libvirt returned, or null`;
      return (v) => {
        if (v === null) return v;
        if (Buffer.isBuffer(v)) return v.length >= bytes ? v : refuse(v, what);
        if (NativePointer.is(v) && v.ctype !== 'callback') return NativePointer.unwrap(v);
        return refuse(v, what);
      };
    }
    default:
      throw new Error(`${field}: no argument check for kind ${arg.kind}`);
  }
}

/**
 * Builds the checker for `fn` once, so a call only runs the precomputed per-argument checks.
 * @throws E_INVALID_ARGUMENT from the returned checker, naming `fn(parameter)` (or `fn` for a wrong count).
 */
export function compileChecker(fn: string, args: readonly CValue[]): ArgumentChecker {
  const checks = args.map((a) => checkFor(fn, a));
  const n = checks.length;
  return (values) => {
    if (values.length !== n) {
      throw new InvalidArgumentError(fn, `takes ${n} argument${n === 1 ? '' : 's'}, got ${values.length}`, { fn });
    }
    for (let i = 0; i < n; i++) values[i] = (checks[i] as Check)(values[i]);
    return values;
  };
}
