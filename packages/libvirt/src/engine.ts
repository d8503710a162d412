import type { Kind } from './signature.js';

/** An opaque native pointer as the engine represents it (never inspect it directly). */
export type Pointer = unknown;

/** A loaded shared library. */
export interface NativeLibrary {
  /** Path the library was loaded from. */
  readonly path: string;
}

/** A bound C function with a synchronous and an asynchronous (worker-thread) entry point. */
export interface NativeFunction {
  /** Calls on this thread (the engine's own function: no wrapper on the hot path). */
  readonly sync: (...args: unknown[]) => unknown;
  /** Runs the call on a worker thread; the event loop stays free. */
  readonly async: (...args: unknown[]) => Promise<unknown>;
}

/** A C callback made from a JS function; keep it until `dispose()`. */
export interface NativeCallback {
  /** The C function pointer to pass to libvirt. */
  readonly pointer: Pointer;
  /** Releases the callback; libvirt must not call it afterwards. */
  dispose(): void;
}

/**
 * What virtmig needs from an FFI library. Both engines implement it over the same
 * generated signature table, so everything above this layer is engine-neutral.
 */
export interface FfiEngine {
  /** Engine name. */
  readonly name: 'koffi' | 'ffi-napi';
  /** Loads the shared library at `path`. */
  open(path: string): NativeLibrary;
  /** True if the library exports `symbol`. */
  hasSymbol(lib: NativeLibrary, symbol: string): boolean;
  /** Binds `symbol` of `lib` with the given return and argument kinds. */
  bind(lib: NativeLibrary, symbol: string, ret: Kind, args: readonly Kind[]): NativeFunction;
  /** Makes a C callback with the given kinds that calls `fn`. */
  callback(ret: Kind, args: readonly Kind[], fn: (...args: unknown[]) => unknown): NativeCallback;
  /** True if `p` is a NULL pointer. */
  isNull(p: Pointer): boolean;
  /** Numeric address, for identity and logging. */
  address(p: Pointer): bigint;
  /** Allocates zeroed memory owned by JS (a Buffer, which both engines accept as a pointer). */
  alloc(size: number): Buffer;
  /** Reads a NUL-terminated UTF-8 string at `p + offset`. */
  readCString(p: Pointer | Buffer, offset?: number): string;
  /** Reads a pointer stored at `p + offset`. */
  readPointer(p: Pointer | Buffer, offset?: number): Pointer;
  /** Copies `length` bytes from `p + offset`. */
  readBytes(p: Pointer | Buffer, offset: number, length: number): Buffer;
}
