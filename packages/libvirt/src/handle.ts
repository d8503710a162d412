import { ClosedError } from '@virtmig/core';
import type { LibvirtBinding } from './binding.js';
import type { Pointer } from './engine.js';

interface Held {
  readonly binding: LibvirtBinding;
  readonly freeFn: string;
  pointer: Pointer | null;
  /** Runs once, right after the pointer is freed (explicitly or by the finalizer). */
  readonly onFreed: (() => void) | undefined;
}

function release(held: Held): void {
  const p = held.pointer;
  if (p === null) return;
  held.pointer = null;
  try {
    held.binding.call(held.freeFn, p);
  } finally {
    held.onFreed?.();
  }
}

// The safety net: a handle dropped without free() is released when collected. Explicit free()
// unregisters it, so each pointer is freed exactly once. A handle with calls in flight is never
// collected: each call's pending promise keeps it reachable.
const registry = new FinalizationRegistry<Held>((held) => {
  if (held.pointer !== null) {
    handleStats.finalized += 1;
    release(held);
  }
});

// Registering every handle at once made V8 grow its heap by ~30 MB under lookup+free churn (each
// registry cell keeps its target alive into old space). Handles freed within the tick that made
// them never need the safety net, so registration waits for the next immediate.
const pending = new Set<NativeHandle>();
let flushScheduled = false;
function flushPending(): void {
  flushScheduled = false;
  for (const h of pending) h.registerFinalizer();
  pending.clear();
}

/** Counts of native handles, for leak checks in tests and benchmarks. */
export const handleStats = {
  /** Handles created. */
  created: 0,
  /** Handles freed explicitly. */
  freed: 0,
  /** Handles freed by the finalizer (leaked by their owner). */
  finalized: 0,
};

/**
 * Owns one libvirt object pointer (virConnectPtr, virDomainPtr, ...) and frees it exactly once,
 * either explicitly or, failing that, when the JS object is collected.
 *
 * Worker-thread calls go through {@link NativeHandle.use}: while one is in flight, `free()` only
 * marks the handle freed (new uses get `E_CLOSED`) and the pointer is released when the last call
 * settles, so a worker thread never runs on a freed libvirt object.
 */
export class NativeHandle {
  private readonly held: Held;
  private readonly what: string;
  private closing = false;
  private inFlight = 0;
  private readonly waiters: (() => void)[] = [];

  /** `onFreed` runs once, after the pointer is released; it must not reference the owner. */
  constructor(binding: LibvirtBinding, pointer: Pointer, freeFn: string, what: string, onFreed?: () => void) {
    this.held = { binding, freeFn, pointer, onFreed };
    this.what = what;
    handleStats.created += 1;
    pending.add(this);
    if (!flushScheduled) {
      flushScheduled = true;
      setImmediate(flushPending).unref();
    }
  }

  /** Puts this handle under the finalizer safety net (called once, a tick after creation). */
  registerFinalizer(): void {
    if (this.held.pointer !== null && !this.closing) registry.register(this, this.held, this);
  }

  /** The live pointer; throws `E_CLOSED` once `free()` was called. */
  get pointer(): Pointer {
    if (this.closing || this.held.pointer === null) throw new ClosedError(this.what);
    return this.held.pointer;
  }

  /** True once `free()` was called (the pointer itself may outlive calls still in flight). */
  get freed(): boolean {
    return this.closing || this.held.pointer === null;
  }

  /** Worker-thread calls using the pointer right now. */
  get callsInFlight(): number {
    return this.inFlight;
  }

  /**
   * Runs `fn` with the live pointer and keeps the pointer alive until `fn` settles, even if
   * `free()` is called meanwhile.
   * @throws ClosedError `E_CLOSED` when the handle was already freed.
   */
  async use<T>(fn: (pointer: Pointer) => Promise<T>): Promise<T> {
    const p = this.pointer;
    this.inFlight += 1;
    try {
      return await fn(p);
    } finally {
      this.inFlight -= 1;
      if (this.closing && this.inFlight === 0) {
        try {
          this.releaseNow();
        } catch {
          // The call's own outcome stands: a failing deferred free (virConnectClose reporting a
          // dead daemon) has no caller left to report to, and the pointer is gone either way.
        }
      }
    }
  }

  /** Frees the pointer now, or once the calls in flight settle. Idempotent. */
  free(): void {
    if (this.closing || this.held.pointer === null) return;
    this.closing = true;
    if (this.inFlight === 0) this.releaseNow();
  }

  /** Resolves once the pointer is released (at once when no call is in flight). */
  released(): Promise<void> {
    if (this.held.pointer === null) return Promise.resolve();
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  private releaseNow(): void {
    if (!pending.delete(this)) registry.unregister(this);
    handleStats.freed += 1;
    try {
      release(this.held);
    } finally {
      for (const w of this.waiters.splice(0)) w();
    }
  }
}
