import type { DomainConfig } from './domain.js';
import { InvalidArgumentError } from './errors.js';
import type { MigrationOptions } from './migration.js';
import { parseMigrateUri, parseSafeUri } from './uri-policy.js';

/** Domain names: what libvirt accepts on every driver, minus characters that break XML or paths. */
const DOMAIN_NAME = /^[A-Za-z0-9_][A-Za-z0-9_.+-]{0,63}$/;

/**
 * Asserts that `name` is a safe domain name.
 * @throws {@link InvalidArgumentError} `E_INVALID_ARGUMENT` naming `field` when it is not.
 */
export function assertDomainName(name: unknown, field = 'name'): asserts name is string {
  if (typeof name !== 'string' || !DOMAIN_NAME.test(name)) {
    throw new InvalidArgumentError(field, `must match ${DOMAIN_NAME}, got ${JSON.stringify(name)}`);
  }
}

/**
 * Asserts that `value` is an integer in [min, max].
 * @throws {@link InvalidArgumentError} `E_INVALID_ARGUMENT` naming `field` when it is not.
 */
export function assertInt(value: unknown, field: string, min: number, max: number): asserts value is number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    throw new InvalidArgumentError(field, `must be an integer in [${min}, ${max}], got ${JSON.stringify(value)}`);
  }
}

/**
 * Asserts that `value` is a finite number in [min, max].
 * @throws {@link InvalidArgumentError} `E_INVALID_ARGUMENT` naming `field` when it is not.
 */
export function assertNumber(value: unknown, field: string, min: number, max: number): asserts value is number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < min || value > max) {
    throw new InvalidArgumentError(field, `must be a number in [${min}, ${max}], got ${JSON.stringify(value)}`);
  }
}

/** The bounds {@link assertDomainConfig} holds a domain to; drivers check raw domain XML against the same. */
export const DOMAIN_LIMITS = {
  /** Memory in MiB: 1 MiB to 16 TiB. */
  memoryMiB: {
    /** Smallest accepted value. */
    min: 1,
    /** Largest accepted value. */
    max: 1 << 24,
  },
  /** vCPUs, current and maximum. */
  vcpus: {
    /** Smallest accepted value. */
    min: 1,
    /** Largest accepted value. */
    max: 4096,
  },
} as const;

/**
 * Checks the driver-neutral fields of a {@link DomainConfig}: name, memory (1 MiB to 16 TiB),
 * vCPUs (1 to 4096, not above maxVcpus), CPU cap (0 to 100 per vCPU), and that paths are
 * absolute without control characters.
 * @throws {@link InvalidArgumentError} `E_INVALID_ARGUMENT` naming the first offending field.
 */
export function assertDomainConfig(config: DomainConfig): void {
  if (typeof config !== 'object' || config === null) throw new InvalidArgumentError('config', 'must be an object');
  assertDomainName(config.name, 'config.name');
  if (config.xml !== undefined) {
    if (typeof config.xml !== 'string' || config.xml.trim() === '')
      throw new InvalidArgumentError('config.xml', 'must be non-empty XML');
    return;
  }
  const { memoryMiB, vcpus } = DOMAIN_LIMITS;
  assertInt(config.memoryMiB, 'config.memoryMiB', memoryMiB.min, memoryMiB.max);
  assertInt(config.vcpus, 'config.vcpus', vcpus.min, vcpus.max);
  if (config.maxVcpus !== undefined) assertInt(config.maxVcpus, 'config.maxVcpus', config.vcpus, vcpus.max);
  if (config.cpuCapPercent !== undefined)
    assertNumber(config.cpuCapPercent, 'config.cpuCapPercent', 0, 100 * vcpus.max);
  for (const key of ['kernel', 'initrd', 'serialLog'] as const) {
    const v = config[key];
    if (v !== undefined) assertPath(v, `config.${key}`);
  }
  if (config.cmdline !== undefined && (typeof config.cmdline !== 'string' || /[\0\n\r]/.test(config.cmdline))) {
    throw new InvalidArgumentError('config.cmdline', 'must be a single line');
  }
}

/**
 * Asserts that `p` is an absolute path without control characters.
 * @throws {@link InvalidArgumentError} `E_INVALID_ARGUMENT` naming `field` when it is not.
 */
export function assertPath(p: unknown, field: string): asserts p is string {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: rejecting control characters is the point
  if (typeof p !== 'string' || !p.startsWith('/') || /[\u0000-\u001f]/.test(p)) {
    throw new InvalidArgumentError(
      field,
      `must be an absolute path without control characters, got ${JSON.stringify(p)}`,
    );
  }
}

const LIBVIRT_URI = /^[a-z][a-z0-9+.-]*:\/\/[^\s\0]*$/i;

/**
 * Checks the URIs, `peerUri` and `tunnelled` of {@link MigrationOptions}: `migrateUri` a
 * migration data URI ({@link parseMigrateUri}), `peerUri` a libvirt URI the URI policy allows
 * ({@link parseSafeUri}: the source host's daemon opens it, as root), a boolean, and the
 * combinations libvirt refuses (tunnelled without a peer, or with a separate data stream:
 * `migrateUri`, `tls`, more than one connection).
 * @throws {@link InvalidArgumentError} `E_INVALID_ARGUMENT` naming the offending field.
 */
export function assertPeerToPeerOptions(o: MigrationOptions): void {
  if (o.migrateUri !== undefined) parseMigrateUri(o.migrateUri, 'options.migrateUri');
  if (o.peerUri !== undefined && (typeof o.peerUri !== 'string' || !LIBVIRT_URI.test(o.peerUri))) {
    throw new InvalidArgumentError('options.peerUri', 'must be a libvirt URI such as xen+tls://host/system');
  }
  if (o.peerUri !== undefined) parseSafeUri(o.peerUri, {}, 'options.peerUri');
  if (o.tunnelled !== undefined && typeof o.tunnelled !== 'boolean')
    throw new InvalidArgumentError('options.tunnelled', 'must be a boolean');
  if (!o.tunnelled) return;
  if (o.peerUri === undefined)
    throw new InvalidArgumentError('options.tunnelled', 'needs options.peerUri: a tunnelled migration is peer-to-peer');
  const separate: [keyof MigrationOptions, boolean][] = [
    ['migrateUri', o.migrateUri !== undefined],
    ['tls', o.tls === true],
    ['parallelConnections', (o.parallelConnections ?? 1) > 1],
  ];
  for (const [key, set] of separate) {
    if (set)
      throw new InvalidArgumentError(
        'options.tunnelled',
        `excludes options.${key}: the data travels inside the peer-to-peer connection`,
      );
  }
}

/** Escapes text for an XML element or attribute. */
export function escapeXml(s: string): string {
  return s.replace(
    /[&<>"']/g,
    (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&apos;' })[c] as string,
  );
}
