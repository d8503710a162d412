import { VirtmigError } from '@virtmig/core';
import type { FfiEngine, NativeFunction, NativeLibrary, Pointer } from './engine.js';
import { type EngineName, selectEngine } from './engines/select.js';
import { FunctionUnavailableError, LibvirtError } from './errors.js';
import { FUNCTIONS } from './generated/functions.js';
import { STRUCTS } from './generated/structs.js';
import { locateShim } from './locate.js';
import type { FunctionSig, FunctionTable, Kind } from './signature.js';

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

/** The shim is missing: async calls cannot capture their errors without it. */
export class ShimMissingError extends VirtmigError {
  constructor() {
    super(
      'E_FUNCTION_UNAVAILABLE',
      'the native libvirt shim (native/build/lib/libvirtmig-shim.so) is not built: run `npm run build:native` or set VIRTMIG_LIBVIRT_SHIM',
    );
  }
}

const ERROR_LAYOUT = STRUCTS.virError;
const ERROR_CODE_OFFSET = ERROR_LAYOUT.fields[0].offset;
const ERROR_DOMAIN_OFFSET = ERROR_LAYOUT.fields[1].offset;
const ERROR_MESSAGE_OFFSET = ERROR_LAYOUT.fields[2].offset;

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
  readonly engine: FfiEngine;
  readonly functions: FunctionTable;
  private readonly lib: NativeLibrary;
  private readonly libc: NativeLibrary;
  private readonly shimPath: string | undefined;
  private shim: NativeLibrary | undefined;
  private readonly sync = new Map<string, NativeFunction>();
  private readonly async = new Map<string, NativeFunction>();
  private readonly helpers = new Map<string, NativeFunction>();
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
    this.shimPath = options.shimPath ?? locateShim();
    this.getLastError = this.engine.bind(this.lib, 'virGetLastError', 'pointer', []);
    this.resetError = this.engine.bind(this.lib, 'virResetError', 'void', ['pointer']);
    this.freeFn = this.engine.bind(this.libc, 'free', 'void', ['pointer']);
    if (this.shimPath) {
      this.engine.bind(this.loadShim(), 'virtmig_silence_errors', 'void', []).sync();
    }
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
   */
  call(name: string, ...args: unknown[]): unknown {
    let fn = this.sync.get(name);
    if (!fn) fn = this.bound(name, this.signature(name));
    const ret = fn.sync(...args);
    const kind = (this.functions[name] as FunctionSig).ret.kind;
    if (this.looksFailed(kind, ret)) {
      const err = this.getLastError.sync();
      if (!this.engine.isNull(err)) throw this.decodeError(name, err as Pointer);
    }
    return kind === 'ownedString' || kind === 'string' ? this.convertReturn(kind, ret) : ret;
  }

  /**
   * Calls `name` on a worker thread through the shim; the event loop stays free.
   * @throws {@link LibvirtError} `E_LIBVIRT` (or the code libvirt's error maps to) with the error read on the worker thread.
   * @throws {@link FunctionUnavailableError} `E_FUNCTION_UNAVAILABLE` when the loaded libvirt lacks `name`.
   * @throws {@link ShimMissingError} `E_FUNCTION_UNAVAILABLE` when the native shim is not built.
   */
  async callAsync(name: string, ...args: unknown[]): Promise<unknown> {
    const sig = this.signature(name);
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
    const ret = await fn.async(...args, errBuf);
    if (errBuf.readInt32LE(ERROR_CODE_OFFSET) !== 0) {
      // A call that succeeded can still leave an error behind (virEventRunDefaultImpl reports a
      // dead connection's EOF that way): as on the sync path, only a failed return is a failure.
      const error = this.looksFailed(sig.ret.kind, ret) ? this.decodeError(name, errBuf) : null;
      this.resetError.sync(errBuf);
      if (error) throw error;
    }
    return this.convertReturn(sig.ret.kind, ret);
  }

  /** Calls a hand-written shim helper (see native/libvirt-shim/support.c) on this thread. */
  shimCall(symbol: string, ret: Kind, argKinds: readonly Kind[], ...args: unknown[]): unknown {
    let fn = this.helpers.get(symbol);
    if (!fn) {
      fn = this.engine.bind(this.loadShim(), symbol, ret, argKinds);
      this.helpers.set(symbol, fn);
    }
    return fn.sync(...args);
  }

  /**
   * Runs a shim packer (`virtmig_pack_params` / `virtmig_pack_stats`) into a scratch buffer,
   * growing it when the packed form does not fit, and returns the packed bytes.
   */
  pack(symbol: 'virtmig_pack_params' | 'virtmig_pack_stats', p: Pointer, n: number): Buffer {
    for (;;) {
      const need = Number(
        this.shimCall(symbol, 'long', ['pointer', 'int', 'pointer', 'long'], p, n, this.scratch, this.scratch.length),
      );
      if (need <= this.scratch.length) return this.scratch.subarray(0, need);
      this.scratch = Buffer.alloc(Math.max(need, this.scratch.length * 2));
    }
  }

  /** Frees memory libvirt allocated with malloc (strings, arrays). */
  free(p: Pointer): void {
    if (!this.engine.isNull(p)) this.freeFn.sync(p);
  }

  /** Reads and frees a `char *` libvirt returned. */
  takeString(p: Pointer): string | null {
    if (this.engine.isNull(p)) return null;
    try {
      return this.engine.readCString(p);
    } finally {
      this.freeFn.sync(p);
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
    if (!this.shim) {
      if (!this.shimPath) throw new ShimMissingError();
      this.shim = this.engine.open(this.shimPath);
    }
    return this.shim;
  }

  // libvirt's convention: -1 or NULL on failure. Only then is the (thread-local) error read, which
  // keeps successful calls to a single FFI crossing.
  private looksFailed(kind: Kind, ret: unknown): boolean {
    switch (kind) {
      case 'string':
        return ret === null || ret === undefined;
      case 'pointer':
      case 'ownedString':
        return this.engine.isNull(ret);
      case 'int':
      case 'long':
      case 'llong':
        return Number(ret) === -1;
      default:
        return false;
    }
  }

  private convertReturn(kind: Kind, ret: unknown): unknown {
    if (kind === 'ownedString') return this.takeString(ret);
    if (kind === 'string') return ret ?? null;
    return ret;
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
  /** Path of libvirtmig-shim.so, or null when it is not built (worker-thread calls then fail with {@link ShimMissingError}). */
  readonly shim: string | null;
}

/** Loads libvirt through the default binding and says what it found; throws when libvirt0 cannot be loaded. */
export function libvirtRuntime(): LibvirtRuntime {
  const b = getBinding();
  return { version: b.version(), engine: b.engine.name, shim: locateShim() ?? null };
}
