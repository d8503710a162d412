import { inspect } from 'node:util';
import { assertSecretValue, type SecretValue } from '@virtmig/core';
import type { LibvirtBinding } from './binding.js';
import type { Pointer } from './engine.js';
import { NativeHandle } from './handle.js';

const UUID_STRING_BUFLEN = 37;

/**
 * An idiomatic wrapper of one virSecretPtr, with the lifetime rules of {@link Domain}: calls on
 * a worker thread keep the pointer alive until they settle, `free()` releases it once (a
 * finalizer is the safety net). It never holds the secret's value, and its string, JSON and
 * `util.inspect` forms name only the UUID.
 */
export class Secret {
  private readonly handle: NativeHandle;

  constructor(
    /** The binding this secret's calls go through. */
    readonly binding: LibvirtBinding,
    pointer: Pointer,
  ) {
    this.handle = new NativeHandle(binding, pointer, 'virSecretFree', 'secret');
  }

  /**
   * The raw virSecretPtr (valid until `free()`).
   * @throws {@link @virtmig/core!ClosedError} `E_CLOSED` once `free()` was called.
   */
  get pointer(): Pointer {
    return this.handle.pointer;
  }

  /** Whether `free()` was called. */
  get freed(): boolean {
    return this.handle.freed;
  }

  /**
   * The secret's UUID (virSecretGetUUIDString).
   * @throws {@link @virtmig/core!ClosedError} `E_CLOSED` once `free()` was called.
   * @throws {@link LibvirtError} the code libvirt's error maps to (else `E_LIBVIRT`) when libvirt fails.
   */
  uuid(): string {
    const buf = this.binding.engine.alloc(UUID_STRING_BUFLEN);
    this.binding.call('virSecretGetUUIDString', this.pointer, buf);
    return buf.toString('utf8', 0, 36);
  }

  /**
   * The virSecretUsageType value (virSecretGetUsageType).
   * @throws {@link @virtmig/core!ClosedError} `E_CLOSED` once `free()` was called.
   * @throws {@link LibvirtError} the code libvirt's error maps to (else `E_LIBVIRT`) when libvirt fails.
   */
  usageType(): number {
    return this.binding.call('virSecretGetUsageType', this.pointer) as number;
  }

  /**
   * The usage id, or null for a secret without usage (virSecretGetUsageID).
   * @throws {@link @virtmig/core!ClosedError} `E_CLOSED` once `free()` was called.
   * @throws {@link LibvirtError} the code libvirt's error maps to (else `E_LIBVIRT`) when libvirt fails.
   */
  usageId(): string | null {
    // A secret without usage has no id: libvirt returns NULL without an error, which call() passes through.
    return this.binding.call('virSecretGetUsageID', this.pointer) as string | null;
  }

  /**
   * The secret's XML description (virSecretGetXMLDesc); it never contains the value.
   * @throws {@link @virtmig/core!ClosedError} `E_CLOSED` once `free()` was called.
   * @throws {@link LibvirtError} the code libvirt's error maps to (else `E_LIBVIRT`) when libvirt fails.
   */
  async xml(flags = 0): Promise<string> {
    return (await this.handle.use((p) => this.binding.callAsync('virSecretGetXMLDesc', p, flags))) as string;
  }

  /**
   * Sets the secret's value (virSecretSetValue) on a worker thread. A string goes as its UTF-8
   * bytes; the copy made for it is zeroed once the call settles (a Buffer or Uint8Array passed
   * in is the caller's to clear). The value appears in no error.
   * @throws {@link @virtmig/core!InvalidArgumentError} `E_INVALID_ARGUMENT` for an empty or oversized value, or one neither string nor bytes (nothing runs).
   * @throws {@link @virtmig/core!ClosedError} `E_CLOSED` once `free()` was called.
   * @throws {@link LibvirtError} the code libvirt's error maps to (`E_NOT_FOUND` when the secret was undefined meanwhile, else `E_LIBVIRT`).
   */
  async setValue(value: SecretValue): Promise<void> {
    assertSecretValue(value);
    const owned = typeof value === 'string';
    const bytes = owned
      ? Buffer.from(value, 'utf8')
      : Buffer.isBuffer(value)
        ? value
        : Buffer.from(value.buffer, value.byteOffset, value.byteLength);
    try {
      await this.handle.use((p) => this.binding.callAsync('virSecretSetValue', p, bytes, bytes.length, 0));
    } finally {
      if (owned) bytes.fill(0);
    }
  }

  /**
   * Deletes the secret and its value (virSecretUndefine); the handle stays to be freed.
   * @throws {@link @virtmig/core!ClosedError} `E_CLOSED` once `free()` was called.
   * @throws {@link LibvirtError} the code libvirt's error maps to (`E_NOT_FOUND` when already gone, else `E_LIBVIRT`).
   */
  async undefine(): Promise<void> {
    await this.handle.use((p) => this.binding.callAsync('virSecretUndefine', p));
  }

  /** Frees the virSecretPtr once the calls in flight settle. Idempotent. */
  free(): void {
    this.handle.free();
  }

  /** `Secret <uuid>` (or `Secret (freed)`): never the value. */
  toString(): string {
    if (this.freed) return 'Secret (freed)';
    return `Secret ${this.uuid()}`;
  }

  /** `{ uuid }` (null once freed): never the value. */
  toJSON(): {
    /** The secret's UUID, or null once freed. */
    readonly uuid: string | null;
  } {
    return { uuid: this.freed ? null : this.uuid() };
  }

  /** What `util.inspect` and `console.log` show: {@link Secret.toString}. */
  [inspect.custom](): string {
    return this.toString();
  }
}
