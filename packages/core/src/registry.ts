import { DuplicateDriverError, InvalidArgumentError, UnknownSchemeError } from './errors.js';
import type { Hypervisor } from './hypervisor.js';
import type { ParsedUri } from './uri.js';
import { parseSafeUri, type UriPolicyOptions } from './uri-policy.js';

/** Options passed to a driver factory; the URI policy's explicit opt-outs are among them. */
export interface ConnectOptions extends UriPolicyOptions {
  /** Open read-only. */
  readonly readonly?: boolean;
  /** Driver-specific settings. */
  readonly [key: string]: unknown;
}

/** Creates a connected {@link Hypervisor} for a parsed URI. */
export type DriverFactory = (uri: ParsedUri, options: ConnectOptions) => Promise<Hypervisor>;

/**
 * Maps URI driver names (the part of the scheme before `+`) to driver factories.
 * A registry instance is cheap; most programs use {@link defaultRegistry}.
 */
export class DriverRegistry {
  private readonly drivers = new Map<string, DriverFactory>();

  /**
   * Registers `factory` for `scheme` (e.g. `qemu`).
   * @throws {@link InvalidArgumentError} `E_INVALID_ARGUMENT` when `scheme` is not lower-case letters and digits.
   * @throws {@link DuplicateDriverError} `E_DUPLICATE_DRIVER` when `scheme` is already registered.
   */
  register(scheme: string, factory: DriverFactory): void {
    if (!/^[a-z][a-z0-9]*$/.test(scheme)) {
      throw new InvalidArgumentError('scheme', `must be lower-case letters and digits, got ${JSON.stringify(scheme)}`);
    }
    if (this.drivers.has(scheme)) throw new DuplicateDriverError(scheme);
    this.drivers.set(scheme, factory);
  }

  /** Removes a registration; returns whether one existed. */
  unregister(scheme: string): boolean {
    return this.drivers.delete(scheme);
  }

  /** True if a driver is registered for `scheme`. */
  has(scheme: string): boolean {
    return this.drivers.has(scheme);
  }

  /** Registered schemes, sorted. */
  schemes(): string[] {
    return [...this.drivers.keys()].sort();
  }

  /**
   * Parses `uri`, checks it against the URI policy ({@link parseSafeUri}: no parameter that runs a
   * program or reads a file, unless `options` names it), finds its driver and connects.
   * @throws {@link InvalidUriError} `E_INVALID_URI` when `uri` does not parse.
   * @throws {@link InvalidArgumentError} `E_INVALID_ARGUMENT` when the URI policy refuses it.
   * @throws {@link UnknownSchemeError} `E_UNKNOWN_SCHEME` when no driver is registered for its scheme.
   * The driver's factory may reject with its own errors (e.g. `E_LIBVIRT` when the host refuses).
   */
  async connect(uri: string, options: ConnectOptions = {}): Promise<Hypervisor> {
    const parsed = this.check(uri, options);
    return (this.drivers.get(parsed.driver) as DriverFactory)(parsed, options);
  }

  /**
   * What {@link DriverRegistry.connect} checks before it connects, without connecting: so a caller
   * with several URIs can refuse a bad one before connecting to any. Returns the parsed URI.
   * @throws {@link InvalidUriError} `E_INVALID_URI` when `uri` does not parse.
   * @throws {@link InvalidArgumentError} `E_INVALID_ARGUMENT` naming `field` when the URI policy refuses it.
   * @throws {@link UnknownSchemeError} `E_UNKNOWN_SCHEME` when no driver is registered for its scheme.
   */
  check(uri: string, options: ConnectOptions = {}, field = 'uri'): ParsedUri {
    const parsed = parseSafeUri(uri, options, field);
    if (!this.drivers.has(parsed.driver)) throw new UnknownSchemeError(parsed.driver, this.schemes());
    return parsed;
  }
}

/** The process-wide registry that driver packages register into. */
export const defaultRegistry = new DriverRegistry();

/**
 * Registers a driver in {@link defaultRegistry}.
 * @throws {@link InvalidArgumentError} `E_INVALID_ARGUMENT` when `scheme` is not lower-case letters and digits.
 * @throws {@link DuplicateDriverError} `E_DUPLICATE_DRIVER` when `scheme` is already registered.
 */
export function registerDriver(scheme: string, factory: DriverFactory): void {
  defaultRegistry.register(scheme, factory);
}

/**
 * Connects through {@link defaultRegistry}.
 * @throws {@link InvalidUriError} `E_INVALID_URI` when `uri` does not parse.
 * @throws {@link UnknownSchemeError} `E_UNKNOWN_SCHEME` when no driver is registered for its scheme.
 */
export function connect(uri: string, options?: ConnectOptions): Promise<Hypervisor> {
  return defaultRegistry.connect(uri, options);
}
