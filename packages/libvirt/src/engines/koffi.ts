import { createRequire } from 'node:module';
import type { FfiEngine, NativeCallback, NativeFunction, NativeLibrary, Pointer } from '../engine.js';
import { NativePointer, wrapPointer } from '../native-pointer.js';
import type { Kind } from '../signature.js';

const require = createRequire(import.meta.url);

type Koffi = typeof import('koffi');

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
  llong: 'int64',
  ullong: 'uint64',
  size_t: 'size_t',
  double: 'double',
  pointer: 'void *',
  string: 'const char *',
  // Returned as a raw pointer so the caller can read it and then free() it.
  ownedString: 'void *',
  callback: 'void *',
};

interface KoffiLib extends NativeLibrary {
  readonly handle: ReturnType<Koffi['load']>;
}

let protoCounter = 0;

/** A FIFO limit on calls in flight. */
class Slots {
  private running = 0;
  private readonly waiting: (() => void)[] = [];

  constructor(private readonly limit: number) {}

  async run<T>(start: () => Promise<T>): Promise<T> {
    // A finishing call hands its slot straight to the next waiter, so none is taken twice.
    if (this.running >= this.limit) await new Promise<void>((resolve) => this.waiting.push(resolve));
    else this.running += 1;
    try {
      return await start();
    } finally {
      const next = this.waiting.shift();
      if (next) next();
      else this.running -= 1;
    }
  }
}

/** The default engine: koffi (prebuilt, about 2 us per call on this machine's libvirt test driver). */
export function createKoffiEngine(): FfiEngine {
  const koffi = require('koffi') as Koffi;
  // koffi throws "Too many asynchronous calls are running" past max_async_calls (running plus
  // queued); calls beyond it wait here instead, so 1,000 concurrent calls all run.
  const asyncSlots = new Slots(koffi.config().max_async_calls ?? 256);
  // koffi's view()/decode() cost microseconds per call here; a plain memcpy into a Buffer costs
  // a few hundred nanoseconds, so raw reads go through libc.
  const memcpy = koffi.load('libc.so.6').func('memcpy', 'void', ['void *', 'uint64', 'size_t']);
  const readBytes = (ptr: Pointer | Buffer, offset: number, length: number): Buffer => {
    const p = NativePointer.unwrap(ptr);
    if (Buffer.isBuffer(p)) return Buffer.from(p.subarray(offset, offset + length));
    const out = Buffer.allocUnsafe(length);
    if (length > 0) memcpy(out, asAddress(p) + BigInt(offset), length);
    return out;
  };
  // koffi 3 hands native pointers to JS as bigint addresses and NULL as null.
  const asAddress = (ptr: Pointer | Buffer): bigint => {
    const p = NativePointer.unwrap(ptr);
    if (p === null || p === undefined) return 0n;
    if (typeof p === 'bigint') return p;
    return koffi.address(p as never);
  };
  return {
    name: 'koffi',
    open(path: string): KoffiLib {
      return { path, handle: koffi.load(path) };
    },
    hasSymbol(lib, symbol) {
      try {
        (lib as KoffiLib).handle.func(symbol, 'void', []);
        return true;
      } catch {
        return false;
      }
    },
    bind(lib, symbol, ret, args) {
      const fn = (lib as KoffiLib).handle.func(
        symbol,
        TYPES[ret],
        args.map((k) => TYPES[k]),
      ) as unknown as ((...a: unknown[]) => unknown) & { async: (...a: unknown[]) => void };
      const bound: NativeFunction = {
        sync: fn,
        async: (...a: unknown[]) =>
          asyncSlots.run(
            () =>
              new Promise((resolve, reject) => {
                fn.async(...a, (err: unknown, res: unknown) => (err ? reject(err) : resolve(res)));
              }),
          ),
      };
      return bound;
    },
    callback(ret, args, fn): NativeCallback {
      protoCounter += 1;
      const proto = koffi.proto(
        `virtmig_cb_${protoCounter}`,
        TYPES[ret],
        args.map((k) => TYPES[k]),
      );
      const wrapped = args.map((k) => k === 'pointer');
      // Pointers libvirt passes to the callback are wrapped like every other native pointer.
      const registered = koffi.register(
        (...a: unknown[]) => fn(...a.map((v, i) => (wrapped[i] ? wrapPointer(v, v === null || v === 0n) : v))),
        koffi.pointer(proto),
      );
      return {
        pointer: wrapPointer(registered, false, 'callback'),
        dispose: () => koffi.unregister(registered),
      };
    },
    isNull: (p) => p === null || p === undefined || asAddress(p) === 0n,
    address: asAddress,
    alloc: (size) => Buffer.alloc(size),
    readCString(p, offset = 0) {
      return koffi.decode(NativePointer.unwrap(p) as never, offset, 'char', -1) as string;
    },
    readPointer(ptr, offset = 0) {
      const p = NativePointer.unwrap(ptr);
      const b = Buffer.isBuffer(p) ? p : readBytes(p, offset, 8);
      const a = b.readBigUInt64LE(Buffer.isBuffer(p) ? offset : 0);
      return wrapPointer(a, a === 0n);
    },
    readBytes,
  };
}
