import { createRequire } from 'node:module';
import type { FfiEngine, NativeCallback, NativeFunction, NativeLibrary, Pointer } from '../engine.js';
import { NativePointer, wrapPointer } from '../native-pointer.js';
import type { Kind } from '../signature.js';

const require = createRequire(import.meta.url);

const TYPES: Record<Kind, string> = {
  void: 'void',
  char: 'char',
  uchar: 'uchar',
  short: 'short',
  ushort: 'ushort',
  int: 'int',
  uint: 'uint',
  long: 'long',
  ulong: 'ulong',
  llong: 'longlong',
  ullong: 'ulonglong',
  size_t: 'size_t',
  double: 'double',
  pointer: 'pointer',
  string: 'string',
  ownedString: 'pointer',
  callback: 'pointer',
};

interface FfiLib extends NativeLibrary {
  // biome-ignore lint/suspicious/noExplicitAny: ffi-napi ships no types
  readonly handle: any;
}

/**
 * The second engine: the maintained ffi-napi fork (@2060.io/ffi-napi + ref-napi). About 15x
 * slower per call than koffi here, but a different implementation of the same table: useful to
 * cross-check the binding and where koffi has no prebuilt binary.
 */
export function createFfiNapiEngine(): FfiEngine {
  // biome-ignore lint/suspicious/noExplicitAny: ffi-napi ships no types
  const ffi = require('@2060.io/ffi-napi') as any;
  // biome-ignore lint/suspicious/noExplicitAny: ref-napi ships no types
  const ref = require('@2060.io/ref-napi') as any;
  const asBuffer = (p: Pointer | Buffer): Buffer => NativePointer.unwrap(p) as Buffer;
  const rawNull = (p: unknown): boolean => p === null || p === undefined || ref.isNull(p);
  return {
    name: 'ffi-napi',
    open(path: string): FfiLib {
      return { path, handle: new ffi.DynamicLibrary(path, ffi.DynamicLibrary.FLAGS.RTLD_NOW) };
    },
    hasSymbol(lib, symbol) {
      try {
        (lib as FfiLib).handle.get(symbol);
        return true;
      } catch {
        return false;
      }
    },
    bind(lib, symbol, ret, args) {
      const fn = ffi.ForeignFunction(
        (lib as FfiLib).handle.get(symbol),
        TYPES[ret],
        args.map((k) => TYPES[k]),
      );
      // ref-napi takes 64-bit integers as numbers or decimal strings, not bigint.
      const conv = (a: unknown[]): unknown[] => a.map((v) => (typeof v === 'bigint' ? v.toString() : v));
      const bound: NativeFunction = {
        sync: (...a: unknown[]) => fn(...conv(a)),
        async: (...a: unknown[]) =>
          new Promise((resolve, reject) => {
            fn.async(...conv(a), (err: unknown, res: unknown) => (err ? reject(err) : resolve(res)));
          }),
      };
      return bound;
    },
    callback(ret, args, fn): NativeCallback {
      const wrapped = args.map((k) => k === 'pointer');
      // Pointers libvirt passes to the callback are wrapped like every other native pointer.
      let cb: Buffer | null = ffi.Callback(
        TYPES[ret],
        args.map((k) => TYPES[k]),
        (...a: unknown[]) => fn(...a.map((v, i) => (wrapped[i] ? wrapPointer(v, rawNull(v)) : v))),
      );
      let pointer = wrapPointer(cb, false, 'callback');
      return {
        get pointer() {
          return pointer;
        },
        // Dropping the reference lets ffi-napi collect the trampoline.
        dispose: () => {
          cb = null;
          pointer = null;
        },
      };
    },
    isNull: (p) => rawNull(NativePointer.unwrap(p)),
    address: (p) => (p === null || p === undefined ? 0n : BigInt(ref.address(asBuffer(p)))),
    alloc: (size) => Buffer.alloc(size),
    readCString: (p, offset = 0) => ref.readCString(asBuffer(p), offset),
    readPointer(p, offset = 0) {
      const raw = ref.readPointer(asBuffer(p), offset, 0);
      return wrapPointer(raw, rawNull(raw));
    },
    readBytes(p, offset, length) {
      if (length === 0) return Buffer.alloc(0);
      return Buffer.from(ref.reinterpret(asBuffer(p), offset + length, 0).subarray(offset, offset + length));
    },
  };
}
