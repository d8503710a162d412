import { InvalidArgumentError } from '@virtmig/core';
import { BUFFER_EXTENTS, NATIVE_ONLY, NON_NULL } from './buffer-extents.js';
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

const normalize = (ctype: string): string =>
  ctype
    .replace(/\bconst\b/g, '')
    .replace(/\s+/g, ' ')
    .trim();

/** The struct a `virXxxPtr` points to; libvirt names some `virXxxStruct` (virDomainBlockStatsStruct). */
function structOf(ptrType: string): { readonly size: number } | undefined {
  const m = /^(vir\w+)Ptr$/.exec(ptrType);
  if (!m) return undefined;
  const table = STRUCTS as Readonly<Record<string, { readonly size: number }>>;
  return table[m[1] as string] ?? table[`${m[1]}Struct`];
}

/** Handles are libvirt's opaque objects (virDomainPtr, ...): their structs have no public fields. */
export function isHandleType(ctype: string): boolean {
  return /^vir\w+Ptr$/.test(ctype) && structOf(ctype) === undefined;
}

/**
 * Bytes one element takes in the memory `ctype` points to (0: unknown, e.g. `void *`): the
 * size a Buffer must at least have, and the unit a length argument counts in.
 */
export function pointeeBytes(ctype: string): number {
  const t = normalize(ctype);
  if (/\*\s*\*$|Ptr\s*\*+$/.test(t)) return 8;
  if (/^vir\w+Ptr$/.test(t)) return structOf(t)?.size ?? 0;
  const scalar = /^(.*?)\s*\*$/.exec(t);
  return scalar ? (SCALAR_BYTES[scalar[1] as string] ?? 0) : 0;
}

const isMemory = (ctype: string): boolean => ctype !== 'callback' && !isHandleType(ctype);

interface Extent {
  readonly buffer: number;
  readonly counts: readonly number[];
  /** Counts read from an `int *` argument (an in/out capacity) rather than passed by value. */
  readonly indirect: readonly boolean[];
  readonly unit: number;
  readonly text: string;
}

function parseExtents(fn: string, args: readonly CValue[], specs: readonly string[]): Extent[] {
  const index = (name: string): number => {
    const i = args.findIndex((a) => a.name === name);
    if (i < 0) throw new Error(`BUFFER_EXTENTS.${fn}: no argument ${name}`);
    return i;
  };
  return specs.map((text) => {
    const m = /^(\w+)\[([\w*]+?)( bytes)?\]$/.exec(text);
    if (!m) throw new Error(`BUFFER_EXTENTS.${fn}: cannot read ${JSON.stringify(text)}`);
    const buffer = index(m[1] as string);
    // `*n` alone is an in/out count; otherwise `*` multiplies counts passed by value.
    const inOut = (m[2] as string).startsWith('*');
    const terms = inOut ? [(m[2] as string).slice(1)] : (m[2] as string).split('*');
    const indirect = terms.map(() => inOut);
    const bufArg = args[buffer] as CValue;
    const unit = m[3] ? 1 : bufArg.kind === 'string' ? 1 : pointeeBytes(bufArg.ctype);
    if (unit === 0) throw new Error(`BUFFER_EXTENTS.${fn}: element size of ${bufArg.ctype} unknown; count in bytes`);
    return { buffer, counts: terms.map(index), indirect, unit, text };
  });
}

function checkFor(fn: string, arg: CValue, nativeOnly: boolean): Check {
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
      const declared = normalize(arg.ctype);
      if (isHandleType(declared)) {
        return (v) => {
          if (v === null) return v;
          if (NativePointer.is(v) && v.ctype === declared) return NativePointer.unwrap(v);
          return refuse(v, `a ${declared} the binding returned, or null`);
        };
      }
      if (nativeOnly) {
        return (v) => {
          if (v === null) return v;
          if (NativePointer.is(v) && v.ctype === declared) return NativePointer.unwrap(v);
          return refuse(v, `a ${declared} libvirt returned or the binding made (never a Buffer), or null`);
        };
      }
      const bytes = pointeeBytes(declared);
      const anyMemory = declared === 'void *';
      const what = `a Buffer${bytes ? ` of at least ${bytes} bytes` : ''}, a pointer libvirt returned, or null`;
      return (v) => {
        if (v === null) return v;
        if (Buffer.isBuffer(v)) return v.length >= bytes ? v : refuse(v, what);
        // Untyped (read from memory) or typed as this memory (any memory for `void *`); never a
        // handle or a callback taken for memory.
        if (
          NativePointer.is(v) &&
          (v.ctype === undefined || v.ctype === declared || (anyMemory && isMemory(v.ctype)))
        ) {
          return NativePointer.unwrap(v);
        }
        return refuse(v, what);
      };
    }
    default:
      throw new Error(`${field}: no argument check for kind ${arg.kind}`);
  }
}

/** Bytes the JS value passed as a buffer makes readable, or -1 when unknown. */
function extentOf(v: unknown): number {
  if (v === null) return 0;
  if (Buffer.isBuffer(v)) return v.length;
  if (typeof v === 'string') return Buffer.byteLength(v) + 1;
  return NativePointer.is(v) ? (v.extent ?? -1) : -1;
}

/** Checks one extent: `have` is the buffer's {@link extentOf}, `values` the checked arguments. */
type ExtentCheck = (have: number, values: unknown[]) => void;

function extentCheck(fn: string, args: readonly CValue[], e: Extent): ExtentCheck {
  const bufName = (args[e.buffer] as CValue).name;
  const tooBig = (need: number, have: number): never => {
    throw new InvalidArgumentError(
      `${fn}(${bufName})`,
      `${e.text} needs ${need} bytes, but ${have < 0 ? 'the size of this pointer is unknown' : `it holds ${have}`}`,
      { fn },
    );
  };
  const negative = (i: number, n: number): never => {
    throw new InvalidArgumentError(
      `${fn}(${args[i]?.name})`,
      `is the length of ${bufName}: must not be negative, got ${n}`,
      {
        fn,
      },
    );
  };
  const unit = e.unit;
  // The common shape, one length passed by value, without the general loop (it runs per call).
  if (e.counts.length === 1 && !e.indirect[0]) {
    const i = e.counts[0] as number;
    return (have, values) => {
      const v = values[i];
      const n = typeof v === 'number' ? v : Number(v);
      if (n < 0) negative(i, n);
      const need = n * unit;
      if (need > Math.max(have, 0)) tooBig(need, have);
    };
  }
  return (have, values) => {
    let need = unit;
    for (let k = 0; k < e.counts.length; k++) {
      const i = e.counts[k] as number;
      let count: unknown = values[i];
      if (e.indirect[k]) {
        // `values[i]` is already checked: a Buffer stays a Buffer, a native pointer is unwrapped.
        if (count === null) count = 0;
        else if (Buffer.isBuffer(count)) count = count.readInt32LE(0);
        else {
          throw new InvalidArgumentError(
            `${fn}(${args[i]?.name})`,
            `must be a Buffer holding the capacity of ${bufName}, so its length can be checked`,
            { fn },
          );
        }
      }
      const n = Number(count);
      if (n < 0) negative(i, n);
      need *= n;
    }
    if (need > Math.max(have, 0)) tooBig(need, have);
  };
}

/**
 * Builds the checker for `fn` once, so a call only runs the precomputed per-argument checks
 * (and the length checks {@link BUFFER_EXTENTS} declares for it).
 * @throws E_INVALID_ARGUMENT from the returned checker, naming `fn(parameter)` (or `fn` for a wrong count).
 */
export function compileChecker(fn: string, args: readonly CValue[]): ArgumentChecker {
  const only = new Set(NATIVE_ONLY[fn] ?? []);
  for (const name of only) {
    if (!args.some((a) => a.name === name)) throw new Error(`NATIVE_ONLY.${fn}: no argument ${name}`);
  }
  const nonNull = new Set(NON_NULL[fn] ?? []);
  for (const name of nonNull) {
    if (!args.some((a) => a.name === name)) throw new Error(`NON_NULL.${fn}: no argument ${name}`);
  }
  const checks = args.map((a) => {
    const check = checkFor(fn, a, only.has(a.name ?? ''));
    if (!nonNull.has(a.name ?? '')) return check;
    const field = `${fn}(${a.name})`;
    return (v: unknown) => {
      if (v === null) {
        throw new InvalidArgumentError(field, `must not be NULL (C ${a.ctype}): libvirt does not check it`, { fn });
      }
      return check(v);
    };
  });
  const n = checks.length;
  const extents = parseExtents(fn, args, BUFFER_EXTENTS[fn] ?? []);
  const count = (values: unknown[]): void => {
    if (values.length !== n) {
      throw new InvalidArgumentError(fn, `takes ${n} argument${n === 1 ? '' : 's'}, got ${values.length}`, { fn });
    }
  };
  if (extents.length === 0) {
    return (values) => {
      count(values);
      for (let i = 0; i < n; i++) values[i] = (checks[i] as Check)(values[i]);
      return values;
    };
  }
  const sized = extents.map((e) => extentCheck(fn, args, e));
  const buffers = extents.map((e) => e.buffer);
  // The buffers' extents as passed (a native pointer's is gone once it is unwrapped); the call is
  // synchronous, so one array per function is enough.
  const haves = new Float64Array(extents.length);
  return (values) => {
    count(values);
    for (let k = 0; k < buffers.length; k++) haves[k] = extentOf(values[buffers[k] as number]);
    for (let i = 0; i < n; i++) values[i] = (checks[i] as Check)(values[i]);
    for (let k = 0; k < sized.length; k++) (sized[k] as ExtentCheck)(haves[k] as number, values);
    return values;
  };
}
