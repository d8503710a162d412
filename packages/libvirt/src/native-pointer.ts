// Only this module holds the token, so `new (p.constructor)(address)` cannot mint a pointer.
const MINT = Symbol('NativePointer');

/**
 * Pointers that came from native code, as JS sees them. Every pointer an engine hands out
 * (a function's return value, a pointer read from memory, a callback's argument) is wrapped in a
 * {@link NativePointer}; the binding passes only such wrappers, Buffers and null where C takes a
 * pointer. The private field cannot be forged or changed from JS, so no number, bigint or made-up
 * object can become an address native code dereferences.
 */
export class NativePointer {
  readonly #raw: unknown;
  /** The C type it was returned as (`virDomainPtr`, ...), or undefined when read from memory. */
  readonly ctype: string | undefined;

  private constructor(token: symbol, raw: unknown, ctype: string | undefined) {
    if (token !== MINT) throw new TypeError('native pointers come only from native code');
    this.#raw = raw;
    this.ctype = ctype;
  }

  /** Wraps an engine's raw non-NULL pointer; NULL stays null. */
  static wrap(raw: unknown, isNull: boolean, ctype?: string): NativePointer | null {
    return isNull ? null : new NativePointer(MINT, raw, ctype);
  }

  /** True for a genuine wrapper (not a look-alike object). */
  static is(p: unknown): p is NativePointer {
    return typeof p === 'object' && p !== null && #raw in p;
  }

  /** The engine's raw pointer inside `p`, or `p` itself when it is not a wrapper (a Buffer, null, an engine value). */
  static unwrap(p: unknown): unknown {
    return NativePointer.is(p) ? p.#raw : p;
  }
}
