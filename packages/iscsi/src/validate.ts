import { isIPv4, isIPv6 } from 'node:net';
import { type ChapCredentials, InvalidArgumentError, type Portal } from '@virtmig/core';

/**
 * Characters no field may carry: shell metacharacters, quotes, whitespace and control
 * characters. None of them is legal in an iSCSI name, a host name or the paths and secrets this
 * package accepts, and refusing them means a value can never change the meaning of a command
 * line, even one that ends up inside a remote shell or a QEMU option string.
 */
// biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are exactly what is refused
const FORBIDDEN = /[\s'"`$\\;&|<>(){}[\]*?!#~^\x00-\x1f\x7f]/;

function fail(field: string, reason: string, value: unknown): never {
  const shown = typeof value === 'string' && value.length > 80 ? `${value.slice(0, 80)}...` : value;
  throw new InvalidArgumentError(field, `${reason}, got ${JSON.stringify(shown)}`);
}

/** Throws unless `value` is a string free of metacharacters that does not look like an option. */
export function assertSafeToken(value: unknown, field: string): asserts value is string {
  if (typeof value !== 'string' || value.length === 0) fail(field, 'must be a non-empty string', value);
  if (FORBIDDEN.test(value)) fail(field, 'contains whitespace, a control character or a shell metacharacter', value);
  if (value.startsWith('-')) fail(field, 'must not start with "-" (it would read as an option)', value);
}

/** RFC 3720 3.2.6.1: an iSCSI name is at most 223 bytes. */
export const ISCSI_NAME_MAX = 223;

const LABEL = '[a-z0-9](?:[a-z0-9-]*[a-z0-9])?';
/**
 * RFC 3720 3.2.6.3.1: `iqn.` + year-month the naming authority owned the domain + `.` + the
 * reversed domain name + optionally `:` and a unique string. After stringprep (RFC 3722) names
 * are lower case; this package accepts the ASCII subset: a-z, 0-9, `-`, `.`, `:`.
 */
const IQN = new RegExp(`^iqn\\.[0-9]{4}-(?:0[1-9]|1[0-2])\\.${LABEL}(?:\\.${LABEL})*(?::[a-z0-9.:-]+)?$`);
/** RFC 3720 3.2.6.3.2: `eui.` + 16 hex digits (an IEEE EUI-64). */
const EUI = /^eui\.[0-9A-Fa-f]{16}$/;

/** True when `name` is an IQN or EUI iSCSI name per RFC 3720. */
export function isIscsiName(name: unknown): name is string {
  return typeof name === 'string' && name.length <= ISCSI_NAME_MAX && (IQN.test(name) || EUI.test(name));
}

/** Throws `E_INVALID_ARGUMENT` unless `name` is an IQN or EUI iSCSI name (RFC 3720 3.2.6). */
export function assertIscsiName(name: unknown, field = 'iqn'): asserts name is string {
  assertSafeToken(name, field);
  if (name.length > ISCSI_NAME_MAX) fail(field, `is longer than ${ISCSI_NAME_MAX} bytes (RFC 3720)`, name);
  if (!IQN.test(name) && !EUI.test(name)) {
    fail(field, 'must be iqn.YYYY-MM.reversed.domain[:string] (lower case) or eui. + 16 hex digits', name);
  }
}

/** RFC 1123 host name: dot-separated labels of letters, digits and inner hyphens, at most 253 bytes. */
const HOST_LABEL = '[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?';
const HOSTNAME = new RegExp(`^(?=.{1,253}$)${HOST_LABEL}(?:\\.${HOST_LABEL})*$`);

/** Throws unless `host` is an IPv4 address, an IPv6 address (without brackets) or a host name. */
export function assertHost(host: unknown, field = 'host'): asserts host is string {
  assertSafeToken(host, field);
  if (isIPv4(host) || isIPv6(host)) return;
  if (/^[0-9.]+$/.test(host) || !HOSTNAME.test(host)) fail(field, 'must be an IPv4/IPv6 address or a host name', host);
}

/** Throws unless `port` is a TCP port number. */
export function assertPort(port: unknown, field = 'port'): asserts port is number {
  if (typeof port !== 'number' || !Number.isInteger(port) || port < 1 || port > 65535) {
    fail(field, 'must be an integer in [1, 65535]', port);
  }
}

/** Throws unless `portal` has a valid host and port. */
export function assertPortal(portal: unknown, field = 'portal'): asserts portal is Portal {
  if (typeof portal !== 'object' || portal === null) fail(field, 'must be { host, port }', portal);
  const p = portal as { host?: unknown; port?: unknown };
  assertHost(p.host, `${field}.host`);
  assertPort(p.port, `${field}.port`);
}

/** The iSCSI well-known port. */
export const ISCSI_PORT = 3260;

/**
 * Parses `host[:port]`, `[ipv6][:port]` or a bare IPv6 address into a validated {@link Portal}.
 * The port defaults to 3260.
 */
export function parsePortal(text: unknown, field = 'portal', defaultPort = ISCSI_PORT): Portal {
  if (typeof text !== 'string') fail(field, 'must be a string host:port', text);
  let host: string;
  let portText: string | undefined;
  const bracketed = /^\[([^\]]+)\](?::([0-9]+))?$/.exec(text);
  if (bracketed) {
    host = bracketed[1] as string;
    portText = bracketed[2];
    if (!isIPv6(host)) fail(field, 'brackets must hold an IPv6 address', text);
  } else if (isIPv6(text)) {
    host = text;
  } else {
    const i = text.lastIndexOf(':');
    host = i < 0 ? text : text.slice(0, i);
    portText = i < 0 ? undefined : text.slice(i + 1);
  }
  if (portText !== undefined && !/^[0-9]{1,5}$/.test(portText)) fail(field, 'port must be decimal digits', text);
  const portal = { host, port: portText === undefined ? defaultPort : Number(portText) };
  assertPortal(portal, field);
  return portal;
}

/** `host:port`, with IPv6 hosts in brackets. */
export function formatPortal(portal: Portal): string {
  return isIPv6(portal.host) ? `[${portal.host}]:${portal.port}` : `${portal.host}:${portal.port}`;
}

/**
 * Largest LUN accepted: 16383, the top of SAM's single-level flat space addressing (14 bits),
 * the widest form libiscsi, QEMU and the Linux initiator all encode without extended LUNs.
 */
export const LUN_MAX = 16383;

/** Throws unless `lun` is an integer in [min, {@link LUN_MAX}]. */
export function assertLun(lun: unknown, field = 'lun', min = 0): asserts lun is number {
  if (typeof lun !== 'number' || !Number.isInteger(lun) || lun < min || lun > LUN_MAX) {
    fail(field, `must be an integer in [${min}, ${LUN_MAX}]`, lun);
  }
}

/**
 * CHAP secret length bounds. RFC 3720 8.2.1 asks for secrets of at least 96 bits (12 bytes)
 * when not protected by IPsec. The upper bound is 255: tgt looks secrets up into
 * `char pass[ISCSI_NAME_LEN]` (256 with the NUL), LIO stores them in `MAX_PASS_LEN` (256)
 * buffers, libiscsi and open-iscsi cap them at 255/256 too. Some initiators (Microsoft's, a few
 * arrays) only take 12-16 characters: pass `{ maxSecret: 16 }` for those.
 */
export const CHAP_SECRET_MIN = 12;
/** See {@link CHAP_SECRET_MIN}. */
export const CHAP_SECRET_MAX = 255;
/** CHAP user names: tgt and LIO keep them in 256-byte buffers. */
export const CHAP_USER_MAX = 255;

const CHAP_USER = /^[A-Za-z0-9_.:@-]+$/;
/**
 * Secret alphabet: what every tool here passes through unchanged (targetcli's command grammar,
 * tgtadm, environment variables, QEMU secret files) minus anything with a meaning to a shell.
 */
const CHAP_SECRET = /^[A-Za-z0-9_.+=@%:/-]+$/;

/** Length limits for {@link assertChapCredentials}. */
export interface ChapLimits {
  /** Shortest secret accepted. Default 12. */
  readonly minSecret?: number;
  /** Longest secret accepted. Default 255. */
  readonly maxSecret?: number;
}

/**
 * Throws unless `creds` is a valid CHAP user name and secret. Error messages name the field and
 * never include the secret.
 */
export function assertChapCredentials(
  creds: unknown,
  field = 'chap',
  limits: ChapLimits = {},
): asserts creds is ChapCredentials {
  const min = limits.minSecret ?? CHAP_SECRET_MIN;
  const max = limits.maxSecret ?? CHAP_SECRET_MAX;
  if (typeof creds !== 'object' || creds === null) fail(field, 'must be { username, password }', typeof creds);
  const c = creds as { username?: unknown; password?: unknown };
  assertSafeToken(c.username, `${field}.username`);
  if (c.username.length > CHAP_USER_MAX || !CHAP_USER.test(c.username)) {
    fail(`${field}.username`, `must be 1-${CHAP_USER_MAX} characters of A-Z a-z 0-9 _ . : @ -`, c.username);
  }
  const pw = c.password;
  if (typeof pw !== 'string') throw new InvalidArgumentError(`${field}.password`, 'must be a string');
  if (pw.length < min || pw.length > max) {
    throw new InvalidArgumentError(`${field}.password`, `must be ${min}-${max} characters long (got ${pw.length})`);
  }
  if (!CHAP_SECRET.test(pw) || pw.startsWith('-')) {
    throw new InvalidArgumentError(
      `${field}.password`,
      'may only hold A-Z a-z 0-9 _ . + = @ % : / - and must not start with "-" (value not shown)',
    );
  }
}

const PATH = /^\/[A-Za-z0-9_.+@%:=/-]*$/;
/** Linux PATH_MAX minus the NUL. */
export const PATH_MAX = 4095;

/** Throws unless `path` is absolute, without `..` segments, NUL, newlines or metacharacters. */
export function assertAbsolutePath(path: unknown, field = 'path'): asserts path is string {
  if (typeof path !== 'string' || !path.startsWith('/')) fail(field, 'must be an absolute path', path);
  if (/[\0\n\r]/.test(path)) fail(field, 'must not contain NUL or newline', path);
  if (path.length > PATH_MAX) fail(field, `is longer than ${PATH_MAX} bytes`, path);
  if (!PATH.test(path)) fail(field, 'may only hold A-Z a-z 0-9 _ . + @ % : = / -', path);
  if (path.split('/').some((s) => s === '..')) fail(field, 'must not contain ".." segments', path);
}

/** Throws unless `size` is a positive whole number of bytes below 2^53. */
export function assertSizeBytes(size: unknown, field = 'sizeBytes'): asserts size is number {
  if (typeof size !== 'number' || !Number.isSafeInteger(size) || size < 512) {
    fail(field, 'must be an integer number of bytes >= 512', size);
  }
}

/**
 * Throws unless `address` is an initiator address a tgt ACL takes: an IPv4 address, an IPv4
 * network in CIDR form, an IPv6 address, or `ALL`.
 */
export function assertInitiatorAddress(address: unknown, field = 'address'): asserts address is string {
  assertSafeToken(address, field);
  if (address === 'ALL' || isIPv4(address) || isIPv6(address)) return;
  const cidr = /^(.+)\/([0-9]{1,2})$/.exec(address);
  if (cidr && isIPv4(cidr[1] as string) && Number(cidr[2]) <= 32) return;
  fail(field, 'must be an IPv4 address, IPv4 CIDR network, IPv6 address or ALL', address);
}
