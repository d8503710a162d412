import { InvalidArgumentError } from '@virtmig/core';
import { type ArgumentChecker, compileChecker, isHandleType, pointeeBytes } from './argument-check.js';
import type { FfiEngine, NativeFunction, NativeLibrary, Pointer } from './engine.js';
import { type EngineName, selectEngine } from './engines/select.js';
import { FunctionUnavailableError, LibvirtError } from './errors.js';
import { FUNCTIONS } from './generated/functions.js';
import { STRUCTS } from './generated/structs.js';
import { resolveShim, ShimMissingError, type ShimOrigin, type ShimResolution } from './locate.js';
import { NativePointer, wrapPointer } from './native-pointer.js';
import type { CValue, FunctionSig, FunctionTable, Kind } from './signature.js';

/** Options for loading libvirt. */
export interface BindingOptions {
  /** `koffi` (default) or `ffi-napi`, or an engine instance. Defaults to `$VIRTMIG_FFI_ENGINE`. */
  readonly engine?: EngineName | FfiEngine;
  /** Path of libvirt's shared library. */
  readonly libvirtPath?: string;
  /** Path of the error-capturing shim; found automatically when omitted. */
  readonly shimPath?: string;
  /** The signature table (tests pass a modified one). */
  readonly functions?: FunctionTable;
}

const ERROR_LAYOUT = STRUCTS.virError;
const ERROR_CODE_OFFSET = ERROR_LAYOUT.fields[0].offset;
const ERROR_DOMAIN_OFFSET = ERROR_LAYOUT.fields[1].offset;
const ERROR_MESSAGE_OFFSET = ERROR_LAYOUT.fields[2].offset;

/** What a call needs besides the native function, computed once per function. */
interface Prepared {
  readonly check: ArgumentChecker;
  /** True when the return value is the function's documented failure value. */
  readonly failed: (ret: unknown) => boolean;
  /** The JS value handed back: native pointers wrapped, owned strings read and freed. */
  readonly convert: (ret: unknown) => unknown;
}

const UNSIGNED_MAX: Partial<Record<Kind, bigint>> = {
  uint: 2n ** 32n - 1n,
  ulong: 2n ** 64n - 1n,
  ullong: 2n ** 64n - 1n,
  size_t: 2n ** 64n - 1n,
};

// The packers read `n` records at `p`, so they are declared with their element types and get the
// same length checks as libvirt's functions (BUFFER_EXTENTS lists them).
const PACKER_ARGS: Readonly<Record<'virtmig_pack_params' | 'virtmig_pack_stats', readonly CValue[]>> = {
  virtmig_pack_params: [
    { name: 'params', ctype: 'virTypedParameterPtr', kind: 'pointer' },
    { name: 'nparams', ctype: 'int', kind: 'int' },
    { name: 'out', ctype: 'void *', kind: 'pointer' },
    { name: 'size', ctype: 'long', kind: 'long' },
  ],
  virtmig_pack_stats: [
    { name: 'stats', ctype: 'virDomainStatsRecordPtr *', kind: 'pointer' },
    { name: 'nstats', ctype: 'int', kind: 'int' },
    { name: 'out', ctype: 'void *', kind: 'pointer' },
    { name: 'size', ctype: 'long', kind: 'long' },
  ],
};

const formatVersion = (v: number): string => `${Math.floor(v / 1_000_000)}.${Math.floor(v / 1000) % 1000}.${v % 1000}`;

/**
 * libvirt's C API, bound lazily from the generated table on one FFI engine.
 *
 * - `call(name, ...args)` runs on the calling (main) thread and reads libvirt's thread-local
 *   error on that same thread right after a failure.
 * - `callAsync(name, ...args)` runs the shim's wrapper on a worker thread; the wrapper copies the
 *   error on that worker thread, so concurrent calls never see each other's errors.
 */
export class LibvirtBinding {
  /** The FFI engine the functions are bound on. */
  readonly engine: FfiEngine;
  /** The signature table functions are bound from. */
  readonly functions: FunctionTable;
  private readonly lib: NativeLibrary;
  private readonly libc: NativeLibrary;
  /** Which shim this binding loaded and why, or what is missing and how to fix it. */
  readonly shim: ShimResolution<NativeLibrary>;
  private readonly sync = new Map<string, NativeFunction>();
  private readonly async = new Map<string, NativeFunction>();
  private readonly helpers = new Map<string, NativeFunction>();
  private readonly prepared = new Map<string, Prepared>();
  private readonly helperChecks = new Map<string, ArgumentChecker>();
  private scratch = Buffer.alloc(64 * 1024);
  private readonly getLastError: NativeFunction;
  private readonly resetError: NativeFunction;
  private readonly freeFn: NativeFunction;
  private runtimeVersion: string | undefined;

  constructor(options: BindingOptions = {}) {
    this.engine =
      typeof options.engine === 'object' ? options.engine : selectEngine(options.engine as string | undefined);
    this.functions = options.functions ?? FUNCTIONS;
    this.lib = this.engine.open(options.libvirtPath ?? 'libvirt.so.0');
    this.libc = this.engine.open('libc.so.6');
    this.getLastError = this.engine.bind(this.lib, 'virGetLastError', 'pointer', []);
    this.resetError = this.engine.bind(this.lib, 'virResetError', 'void', ['pointer']);
    this.freeFn = this.engine.bind(this.libc, 'free', 'void', ['pointer']);
    // virConnectOpen initialises libvirt, but nothing else does: virTypedParamsAdd* before the
    // first connection aborts the process in libvirt's error reset (free(): invalid pointer).
    // Idempotent and thread-safe (a virOnce), so every binding may call it.
    if ((this.engine.bind(this.lib, 'virInitialize', 'int', []).sync() as number) !== 0) {
      const err = this.getLastError.sync();
      throw this.engine.isNull(err)
        ? new LibvirtError({
            fn: 'virInitialize',
            libvirtCode: 1,
            libvirtDomain: 0,
            libvirtMessage: 'initialisation failed',
          })
        : this.decodeError('virInitialize', err as Pointer);
    }
    this.shim = options.shimPath
      ? { status: 'found', path: options.shimPath, origin: 'option', lib: this.engine.open(options.shimPath) }
      : resolveShim((path) => this.engine.open(path));
    if (this.shim.status === 'found') {
      this.engine.bind(this.shim.lib, 'virtmig_silence_errors', 'void', []).sync();
    }
    for (const [name, sig] of Object.entries(this.functions)) this.prepared.set(name, this.prepare(name, sig));
  }

  /** The loaded libvirt's version, e.g. `9.0.0`. */
  version(): string {
    if (!this.runtimeVersion) {
      const out = Buffer.alloc(8);
      this.call('virGetVersion', out, null, null);
      this.runtimeVersion = formatVersion(Number(out.readBigUInt64LE(0)));
    }
    return this.runtimeVersion;
  }

  /**
   * The signature of `name`.
   * @throws {@link FunctionUnavailableError} `E_FUNCTION_UNAVAILABLE` when the table does not know `name`.
   */
  signature(name: string): FunctionSig {
    const sig = this.functions[name];
    if (!sig) throw new FunctionUnavailableError(name, 'unknown', this.version());
    return sig;
  }

  /** True when the loaded libvirt exports `name`. */
  has(name: string): boolean {
    return this.engine.hasSymbol(this.lib, name);
  }

  /**
   * Calls `name` on this thread.
   * @throws {@link LibvirtError} `E_LIBVIRT` (or the code libvirt's error maps to, e.g. `E_NOT_FOUND`) with the error read on this thread.
   * @throws {@link FunctionUnavailableError} `E_FUNCTION_UNAVAILABLE` when the loaded libvirt lacks `name`.
   * @throws {@link @virtmig/core!InvalidArgumentError} `E_INVALID_ARGUMENT` when an argument does not fit the C signature (nothing native runs).
   */
  call(name: string, ...args: unknown[]): unknown {
    const p = this.prepared.get(name);
    if (!p) throw new FunctionUnavailableError(name, 'unknown', this.version());
    const native = p.check(args);
    const fn = this.sync.get(name) ?? this.bound(name, this.functions[name] as FunctionSig);
    const ret = fn.sync(...native);
    if (p.failed(ret)) {
      const err = this.getLastError.sync();
      if (!this.engine.isNull(err)) throw this.decodeError(name, err as Pointer);
    }
    return p.convert(ret);
  }

  /**
   * Calls `name` on a worker thread through the shim; the event loop stays free.
   * @throws {@link LibvirtError} `E_LIBVIRT` (or the code libvirt's error maps to) with the error read on the worker thread.
   * @throws {@link FunctionUnavailableError} `E_FUNCTION_UNAVAILABLE` when the loaded libvirt lacks `name`.
   * @throws {@link @virtmig/libvirt!ShimMissingError} `E_FUNCTION_UNAVAILABLE` when the native shim is not built.
   * @throws {@link @virtmig/core!InvalidArgumentError} `E_INVALID_ARGUMENT` when an argument does not fit the C signature (nothing native runs).
   */
  async callAsync(name: string, ...args: unknown[]): Promise<unknown> {
    const sig = this.signature(name);
    const p = this.prepared.get(name) as Prepared;
    const native = p.check(args);
    if (!this.has(name)) throw new FunctionUnavailableError(name, sig.since, this.version());
    let fn = this.async.get(name);
    if (!fn) {
      fn = this.engine.bind(this.loadShim(), `virtmig_${name}`, sig.ret.kind, [
        ...sig.args.map((a) => a.kind),
        'pointer',
      ]);
      this.async.set(name, fn);
    }
    const errBuf = this.engine.alloc(ERROR_LAYOUT.size);
    const ret = await fn.async(...native, errBuf);
    if (errBuf.readInt32LE(ERROR_CODE_OFFSET) !== 0) {
      // A call that succeeded can still leave an error behind (virEventRunDefaultImpl reports a
      // dead connection's EOF that way): as on the sync path, only a failed return is a failure.
      const error = p.failed(ret) ? this.decodeError(name, errBuf) : null;
      this.resetError.sync(errBuf);
      if (error) throw error;
    }
    return p.convert(ret);
  }

  /** Calls a hand-written shim helper (see native/support.c) on this thread. */
  shimCall(symbol: string, ret: Kind, argKinds: readonly Kind[], ...args: unknown[]): unknown {
    const params = argKinds.map(
      (kind, i): CValue => ({ name: `arg${i}`, ctype: kind === 'pointer' ? 'void *' : kind, kind }),
    );
    return this.callHelper(symbol, ret, params, args);
  }

  private callHelper(symbol: string, ret: Kind, params: readonly CValue[], args: unknown[]): unknown {
    let fn = this.helpers.get(symbol);
    let check = this.helperChecks.get(symbol);
    if (!fn || !check) {
      check = compileChecker(symbol, params);
      fn = this.engine.bind(
        this.loadShim(),
        symbol,
        ret,
        params.map((p) => p.kind),
      );
      this.helpers.set(symbol, fn);
      this.helperChecks.set(symbol, check);
    }
    const out = fn.sync(...check(args));
    return ret === 'pointer' ? wrapPointer(out, this.engine.isNull(out)) : out;
  }

  /**
   * Returns a C function pointer that a shim helper hands out (its event callbacks), marked as a
   * callback so that libvirt's callback parameters accept it and no other pointer parameter does.
   * @throws {@link ShimMissingError} E_FUNCTION_UNAVAILABLE when the shim cannot be loaded.
   */
  shimCallback(symbol: string): Pointer {
    const raw = NativePointer.unwrap(this.shimCall(symbol, 'pointer', []));
    return wrapPointer(raw, this.engine.isNull(raw), 'callback');
  }

  /**
   * Runs a shim packer (`virtmig_pack_params` / `virtmig_pack_stats`) into a scratch buffer,
   * growing it when the packed form does not fit, and returns the packed bytes.
   */
  pack(symbol: 'virtmig_pack_params' | 'virtmig_pack_stats', p: Pointer, n: number): Buffer {
    for (;;) {
      const need = Number(
        this.callHelper(symbol, 'long', PACKER_ARGS[symbol], [p, n, this.scratch, this.scratch.length]),
      );
      if (need <= this.scratch.length) return this.scratch.subarray(0, need);
      this.scratch = Buffer.alloc(Math.max(need, this.scratch.length * 2));
    }
  }

  /**
   * Reads the pointer libvirt stored at `from + offset` and types it as the C type `ctype`
   * (`virDomainPtr`, `virTypedParameterPtr`, ...), so that the argument checks accept it only
   * where that type is declared. `count` is the number of elements libvirt said the memory holds
   * (an array's length), which length arguments are then checked against; omitted, a length
   * that is not 0 is refused for it. A handle is read only out of memory libvirt allocated (an
   * array it returned), never out of a Buffer, whose bytes JS could have chosen.
   * @throws E_INVALID_ARGUMENT when `from` is not a Buffer or a native pointer, the read is
   *   outside a Buffer, or a handle type is read from a Buffer.
   */
  readPointer(from: Pointer | Buffer, offset: number, ctype: string, count?: number): Pointer {
    const field = `readPointer(${ctype})`;
    if (!Number.isSafeInteger(offset) || offset < 0) {
      throw new InvalidArgumentError(field, `offset must be a non-negative integer, got ${offset}`);
    }
    if (Buffer.isBuffer(from)) {
      if (isHandleType(ctype))
        throw new InvalidArgumentError(field, 'a handle is read only from memory libvirt returned');
      if (offset + 8 > from.length) throw new InvalidArgumentError(field, `offset ${offset} is outside the Buffer`);
    } else if (!NativePointer.is(from)) {
      throw new InvalidArgumentError(field, 'must read from a Buffer or a pointer libvirt returned');
    } else if (from.extent !== undefined && offset + 8 > from.extent) {
      throw new InvalidArgumentError(field, `offset ${offset} is outside the ${from.extent} bytes libvirt returned`);
    }
    if (count !== undefined && (!Number.isSafeInteger(count) || count < 0)) {
      throw new InvalidArgumentError(field, `count must be a non-negative integer, got ${count}`);
    }
    const raw = NativePointer.unwrap(this.engine.readPointer(from, offset));
    const extent = count === undefined ? undefined : count * pointeeBytes(ctype);
    return wrapPointer(raw, this.engine.isNull(raw), ctype, extent);
  }

  /**
   * Frees memory libvirt allocated with malloc (strings, arrays).
   * @throws E_INVALID_ARGUMENT unless `p` is a pointer native code returned, or null.
   */
  free(p: Pointer): void {
    if (p === null || p === undefined) return;
    if (!NativePointer.is(p))
      throw new InvalidArgumentError('free(ptr)', 'must be a pointer libvirt returned, or null');
    this.freeFn.sync(NativePointer.unwrap(p));
  }

  /**
   * Reads and frees a `char *` libvirt returned.
   * @throws E_INVALID_ARGUMENT unless `p` is a pointer native code returned, or null.
   */
  takeString(p: Pointer): string | null {
    if (this.engine.isNull(p)) return null;
    if (!NativePointer.is(p)) throw new InvalidArgumentError('takeString(ptr)', 'must be a pointer libvirt returned');
    try {
      return this.engine.readCString(p);
    } finally {
      this.freeFn.sync(NativePointer.unwrap(p));
    }
  }

  private bound(name: string, sig: FunctionSig): NativeFunction {
    let fn = this.sync.get(name);
    if (!fn) {
      if (!this.has(name)) throw new FunctionUnavailableError(name, sig.since, this.version());
      fn = this.engine.bind(
        this.lib,
        name,
        sig.ret.kind,
        sig.args.map((a) => a.kind),
      );
      this.sync.set(name, fn);
    }
    return fn;
  }

  private loadShim(): NativeLibrary {
    if (this.shim.status === 'missing') throw new ShimMissingError(this.shim);
    return this.shim.lib;
  }

  // Only a documented failure return reads the (thread-local) error, which keeps successful
  // calls to a single FFI crossing.
  private prepare(name: string, sig: FunctionSig): Prepared {
    const kind = sig.ret.kind;
    const isNull = this.engine.isNull;
    let failed: (ret: unknown) => boolean = () => false;
    if (sig.fail === 'null') failed = kind === 'string' ? (r) => r === null || r === undefined : (r) => isNull(r);
    else if (sig.fail === 'max') {
      const max = UNSIGNED_MAX[kind];
      if (max === undefined) throw new Error(`${name}: (unsigned)-1 failure on a ${kind} return`);
      failed = (r) => BigInt(r as number) === max;
    } else if (typeof sig.fail === 'number') {
      const value = sig.fail;
      failed = (r) => Number(r) === value;
    }
    let convert: (ret: unknown) => unknown = (r) => r;
    if (kind === 'ownedString') convert = (r) => this.takeString(wrapPointer(r, isNull(r)));
    else if (kind === 'string') convert = (r) => r ?? null;
    else if (kind === 'pointer') convert = (r) => wrapPointer(r, isNull(r), sig.ret.ctype);
    return { check: compileChecker(name, sig.args), failed, convert };
  }

  private decodeError(fn: string, err: Pointer | Buffer): LibvirtError {
    const bytes = this.engine.readBytes(err, 0, ERROR_LAYOUT.size);
    const msgPtr = this.engine.readPointer(err, ERROR_MESSAGE_OFFSET);
    return new LibvirtError({
      fn,
      libvirtCode: bytes.readInt32LE(ERROR_CODE_OFFSET),
      libvirtDomain: bytes.readInt32LE(ERROR_DOMAIN_OFFSET),
      libvirtMessage: this.engine.isNull(msgPtr) ? 'unknown error' : this.engine.readCString(msgPtr),
    });
  }
}

const shared = new Map<string, LibvirtBinding>();

/**
 * The process-wide binding for an engine (loading libvirt once per engine).
 * @throws {@link @virtmig/core!InvalidArgumentError} `E_INVALID_ARGUMENT` when `options.engine` is not `koffi` or `ffi-napi`.
 */
export function getBinding(options: BindingOptions = {}): LibvirtBinding {
  if (options.functions || options.libvirtPath || options.shimPath || typeof options.engine === 'object') {
    return new LibvirtBinding(options);
  }
  const key = (options.engine as string | undefined) ?? process.env.VIRTMIG_FFI_ENGINE ?? 'koffi';
  let b = shared.get(key);
  if (!b) {
    b = new LibvirtBinding(options);
    shared.set(key, b);
  }
  return b;
}

/** What libvirt-based drivers run on in this process: the loaded libvirt, the FFI engine and the shim. */
export interface LibvirtRuntime {
  /** libvirt's version, e.g. `9.0.0`. */
  readonly version: string;
  /** The FFI engine calls go through (`koffi` or `ffi-napi`). */
  readonly engine: string;
  /** Path of libvirtmig-shim.so, or null when none is usable (worker-thread calls then fail with {@link @virtmig/libvirt!ShimMissingError}). */
  readonly shim: string | null;
  /** Why this shim was chosen: `env` ($VIRTMIG_LIBVIRT_SHIM), `built` (on this machine), `built-on-first-use`, `prebuilt`; null when missing. */
  readonly shimOrigin: ShimOrigin | null;
  /** When the shim is missing: what is missing and how to fix it. */
  readonly shimProblem: {
    /** What is missing. */
    readonly reason: string;
    /** How to fix it. */
    readonly fix: string;
  } | null;
}

/** Loads libvirt through the default binding and says what it found; throws when libvirt0 cannot be loaded. */
export function libvirtRuntime(): LibvirtRuntime {
  const b = getBinding();
  const shim = b.shim;
  return shim.status === 'found'
    ? { version: b.version(), engine: b.engine.name, shim: shim.path, shimOrigin: shim.origin, shimProblem: null }
    : {
        version: b.version(),
        engine: b.engine.name,
        shim: null,
        shimOrigin: null,
        shimProblem: { reason: shim.reason, fix: shim.fix },
      };
}
