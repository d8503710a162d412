// Only this module holds the token, so `new (p.constructor)(address)` cannot mint a pointer.
const MINT = Symbol('NativePointer');

/**
 * Pointers that came from native code, as JS sees them. Every pointer an engine hands out
 * (a function's return value, a pointer read from memory, a callback's argument) is wrapped in a
 * {@link NativePointer}; the binding passes only such wrappers, Buffers and null where C takes a
 * pointer. The private field cannot be forged or changed from JS, and no public function makes
 * one from a value, so no number, bigint or made-up object can become an address native code
 * dereferences.
 */
export class NativePointer {
  readonly #raw: unknown;
  /**
   * The C type it was returned or read as (`virDomainPtr`, `virTypedParameterPtr`, ...), or
   * undefined when an engine read it from memory without a type (it is then refused where a
   * handle or libvirt-owned memory is declared).
   */
  readonly ctype: string | undefined;
  /**
   * Bytes known to be readable at the address (from the element count libvirt or the binding
   * reported), or undefined when unknown (it is then refused where a length is checked).
   */
  readonly extent: number | undefined;

  private constructor(token: symbol, raw: unknown, ctype: string | undefined, extent: number | undefined) {
    if (token !== MINT) throw new TypeError('native pointers come only from native code');
    this.#raw = raw;
    this.ctype = ctype;
    this.extent = extent;
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

type Minting = new (
  token: symbol,
  raw: unknown,
  ctype: string | undefined,
  extent: number | undefined,
) => NativePointer;

/**
 * Wraps an engine's raw non-NULL pointer (NULL stays null). Internal to the package (the engines
 * and the binding): index.ts does not export it, so code outside cannot type an address.
 */
export function wrapPointer(raw: unknown, isNull: boolean, ctype?: string, extent?: number): NativePointer | null {
  return isNull ? null : new (NativePointer as unknown as Minting)(MINT, raw, ctype, extent);
}
