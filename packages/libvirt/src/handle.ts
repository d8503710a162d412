import { ClosedError } from '@virtmig/core';
import type { LibvirtBinding } from './binding.js';
import type { Pointer } from './engine.js';

interface Held {
  readonly binding: LibvirtBinding;
  readonly freeFn: string;
  pointer: Pointer | null;
}

// The safety net: a handle dropped without free() is released when collected. Explicit free()
// unregisters it, so each pointer is freed exactly once.
const registry = new FinalizationRegistry<Held>((held) => {
  if (held.pointer !== null) {
    handleStats.finalized += 1;
    held.binding.call(held.freeFn, held.pointer);
    held.pointer = null;
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
export const handleStats = { created: 0, freed: 0, finalized: 0 };

/**
 * Owns one libvirt object pointer (virConnectPtr, virDomainPtr, ...) and frees it exactly once,
 * either explicitly or, failing that, when the JS object is collected.
 */
export class NativeHandle {
  private readonly held: Held;
  private readonly what: string;

  constructor(binding: LibvirtBinding, pointer: Pointer, freeFn: string, what: string) {
    this.held = { binding, freeFn, pointer };
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
    if (this.held.pointer !== null) registry.register(this, this.held, this);
  }

  /** The live pointer; throws `E_CLOSED` once freed. */
  get pointer(): Pointer {
    if (this.held.pointer === null) throw new ClosedError(this.what);
    return this.held.pointer;
  }

  /** True once freed. */
  get freed(): boolean {
    return this.held.pointer === null;
  }

  /** Frees the pointer with its libvirt free function. Idempotent. */
  free(): void {
    if (this.held.pointer === null) return;
    const p = this.held.pointer;
    this.held.pointer = null;
    if (!pending.delete(this)) registry.unregister(this);
    handleStats.freed += 1;
    this.held.binding.call(this.held.freeFn, p);
  }
}
