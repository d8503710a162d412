import { InvalidArgumentError, isVirtmigError } from './errors.js';
import { type ParsedUri, parseUri } from './uri.js';

/**
 * The libvirt URI query parameters virtmig refuses unless a caller lists them in
 * {@link UriPolicyOptions.allowUnsafeUriParameters}: each runs a program, reads or writes a file
 * the URI names, re-targets the connection past this check, or turns off authentication or
 * encryption. The reason of each is in {@link unsafeUriParameterReason}.
 */
export const UNSAFE_URI_PARAMETERS = [
  'command',
  'netcat',
  'name',
  'keyfile',
  'known_hosts',
  'authfile',
  'no_verify',
  'no_sanity',
  'tls_priority',
] as const;

/** A parameter of {@link UNSAFE_URI_PARAMETERS}. */
export type UnsafeUriParameter = (typeof UNSAFE_URI_PARAMETERS)[number];

/** The explicit opt-outs of the URI policy; every default is the safe one. */
export interface UriPolicyOptions {
  /**
   * Refused parameters this caller really needs, by name, e.g. `['keyfile']`. Each one named
   * here is passed to libvirt as given; nothing else is loosened.
   */
  readonly allowUnsafeUriParameters?: readonly UnsafeUriParameter[];
  /** Allow `test:///PATH`, which makes libvirt's test driver read the node XML file at PATH. */
  readonly allowTestNodeFile?: boolean;
}

/** The transports of libvirt's remote driver, plus `local` for libvirt's in-process test driver. */
export type UriTransport = 'unix' | 'ssh' | 'libssh' | 'libssh2' | 'ext' | 'tcp' | 'tls' | 'local';

const UNSAFE_REASONS: { readonly [K in UnsafeUriParameter]: string } = {
  command: 'names a program libvirt runs on this machine (the ssh binary, or the ext transport itself)',
  netcat: 'names a program libvirt runs on the remote host',
  name: 'makes the remote daemon open another URI, which this check never sees',
  keyfile: 'makes the SSH client read the file it names as a private key',
  known_hosts: 'makes libssh/libssh2 read and rewrite the file it names',
  authfile: 'makes libvirt read the file it names as a credentials file',
  no_verify: 'turns off the check that the server is the host the URI names',
  no_sanity: "turns off the checks of the TLS certificates' validity",
  tls_priority: 'can downgrade TLS to weak or null ciphers',
};

/** Why virtmig refuses `parameter` by default. */
export function unsafeUriParameterReason(parameter: UnsafeUriParameter): string {
  return UNSAFE_REASONS[parameter];
}

/** Returns why `value` is refused, or undefined when it is fine. */
type ValueCheck = (value: string) => string | undefined;

// A conservative path alphabet: libvirt quotes these paths into a shell command on the remote side.
const SAFE_PATH = /^\/[A-Za-z0-9._/+@,=~-]*$/;
const absolutePath: ValueCheck = (v) =>
  SAFE_PATH.test(v) && !v.split('/').includes('..')
    ? undefined
    : 'must be an absolute path of letters, digits and ._/+@,=~- without ".."';
const oneOf =
  (...allowed: string[]): ValueCheck =>
  (v) =>
    allowed.includes(v) ? undefined : `must be one of ${allowed.join(', ')}`;
const SSH_AUTH_METHODS = ['agent', 'privkey', 'password', 'keyboard-interactive'];
const sshAuthList: ValueCheck = (v) =>
  v.split(',').every((m) => SSH_AUTH_METHODS.includes(m))
    ? undefined
    : `must be a comma-separated list of ${SSH_AUTH_METHODS.join(', ')}`;
const authType: ValueCheck = (v) =>
  /^(none|polkit|sasl(\.[a-z0-9-]{1,40})?)$/.test(v) ? undefined : 'must be none, polkit, sasl or sasl.MECHANISM';

/** The parameters that cannot run a program, read a file or weaken security, with their value checks. */
const SAFE_PARAMETERS: Readonly<Record<string, ValueCheck>> = {
  socket: absolutePath,
  pkipath: absolutePath,
  mode: oneOf('auto', 'direct', 'legacy'),
  proxy: oneOf('auto', 'netcat', 'native'),
  no_tty: oneOf('0', '1'),
  sshauth: sshAuthList,
  // auto and ignore accept unknown or changed host keys: a man in the middle.
  known_hosts_verify: oneOf('normal'),
  auth: authType,
};

const REMOTE_COMMON = ['name', 'auth', 'authfile'];
const SSH_COMMON = [...REMOTE_COMMON, 'mode', 'proxy', 'socket', 'netcat', 'keyfile'];

/** The parameters libvirt's remote driver honours on each transport; any other one is refused. */
const TRANSPORT_PARAMETERS: { readonly [T in UriTransport]: readonly string[] } = {
  unix: [...REMOTE_COMMON, 'mode', 'socket'],
  ssh: [...SSH_COMMON, 'command', 'no_verify', 'no_tty'],
  libssh: [...SSH_COMMON, 'known_hosts', 'known_hosts_verify', 'sshauth'],
  libssh2: [...SSH_COMMON, 'known_hosts', 'known_hosts_verify', 'sshauth'],
  ext: [...REMOTE_COMMON, 'command'],
  tcp: REMOTE_COMMON,
  tls: [...REMOTE_COMMON, 'pkipath', 'no_verify', 'no_sanity', 'tls_priority'],
  local: [],
};

/** The parameters libvirt honours on `transport` (see {@link uriTransportOf}). */
export function uriTransportParameters(transport: UriTransport): readonly string[] {
  return TRANSPORT_PARAMETERS[transport];
}

const TRANSPORTS = Object.keys(TRANSPORT_PARAMETERS).filter((t) => t !== 'local') as UriTransport[];

/**
 * The transport libvirt uses for `uri`: the one after `+`; without one, TLS for a URI with a
 * host and the local socket without; `local` for `test:///...`, which libvirt serves in-process.
 * Throws `E_INVALID_ARGUMENT` for a transport libvirt does not have.
 */
export function uriTransportOf(uri: ParsedUri, field = 'uri'): UriTransport {
  if (uri.transport !== undefined) {
    if (!(TRANSPORTS as string[]).includes(uri.transport))
      throw new InvalidArgumentError(
        field,
        `transport "${uri.transport}" is not one of libvirt's (${TRANSPORTS.join(', ')})`,
      );
    return uri.transport as UriTransport;
  }
  if (uri.host !== '') return 'tls';
  return uri.driver === 'test' ? 'local' : 'unix';
}

const HOST = /^(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9_](?:[A-Za-z0-9_.-]{0,252}))$/;
const USER = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,63}$/;

/**
 * Checks a parsed libvirt URI against virtmig's URI policy and returns it: per transport only the
 * query parameters that cannot run a program, read or write a file the URI names, re-target the
 * connection or turn off authentication (parameter names compared case-insensitively, as libvirt
 * does), no fragment, no `;` separator (libvirt splits the query on it, WHATWG URLs do not), a
 * plain host and user, and `test:///default` rather than a node file. Throws `E_INVALID_ARGUMENT`
 * naming `field` and the parameter.
 */
export function assertUriPolicy(uri: ParsedUri, options: UriPolicyOptions = {}, field = 'uri'): ParsedUri {
  const allowed = new Set<string>(options.allowUnsafeUriParameters ?? []);
  for (const name of allowed) {
    if (!(UNSAFE_URI_PARAMETERS as readonly string[]).includes(name))
      throw new InvalidArgumentError(
        'allowUnsafeUriParameters',
        `${JSON.stringify(name)} is not one of ${UNSAFE_URI_PARAMETERS.join(', ')}`,
      );
  }
  if (uri.uri.includes('#')) throw new InvalidArgumentError(field, 'a libvirt URI has no #fragment');
  const q = uri.uri.indexOf('?');
  if (q >= 0 && uri.uri.slice(q).includes(';'))
    throw new InvalidArgumentError(field, 'the query must not contain ";" (libvirt splits parameters on it)');
  const authority = /^[^:]*:\/\/([^/?#]*)/.exec(uri.uri)?.[1] ?? '';
  if (authority.includes('@') && authority.slice(0, authority.lastIndexOf('@')).includes(':'))
    throw new InvalidArgumentError(
      field,
      'a password does not belong in a URI (libvirt would pass it on as the user name)',
    );
  const transport = uriTransportOf(uri, field);
  if (uri.host !== '' && !HOST.test(uri.host))
    throw new InvalidArgumentError(field, 'the host must be a host name or an IP address');
  if (uri.user !== undefined && !USER.test(uri.user))
    throw new InvalidArgumentError(field, 'the user name must be letters, digits and ._- (not starting with -)');
  if (transport === 'local' && uri.path !== '/default' && !options.allowTestNodeFile)
    throw new InvalidArgumentError(
      field,
      'test:///PATH makes libvirt read the file PATH; only test:///default is allowed (allowTestNodeFile opts in)',
    );
  const honoured = TRANSPORT_PARAMETERS[transport];
  for (const [given, value] of Object.entries(uri.params)) {
    const name = given.toLowerCase();
    const label = given === name ? `"${name}"` : `"${given}" (libvirt reads it as "${name}")`;
    if (!honoured.includes(name))
      throw new InvalidArgumentError(
        field,
        `parameter ${label} is refused: not one of the ${transport} transport's (${honoured.join(', ') || 'none'})`,
        { parameter: name },
      );
    const check = SAFE_PARAMETERS[name];
    if (check === undefined) {
      if (allowed.has(name)) continue;
      throw new InvalidArgumentError(
        field,
        `parameter ${label} is refused: it ${UNSAFE_REASONS[name as UnsafeUriParameter]} (allowUnsafeUriParameters opts in)`,
        { parameter: name },
      );
    }
    const why = check(value);
    if (why !== undefined)
      throw new InvalidArgumentError(field, `parameter ${label} is refused: ${why}`, { parameter: name });
  }
  if (transport === 'ext' && Object.keys(uri.params).every((k) => k.toLowerCase() !== 'command'))
    throw new InvalidArgumentError(field, 'the ext transport needs parameter "command", a program it runs', {
      parameter: 'command',
    });
  return uri;
}

/**
 * Parses `uri` ({@link parseUri}) and checks it against the URI policy ({@link assertUriPolicy}).
 * Throws `E_INVALID_URI` when it does not parse, `E_INVALID_ARGUMENT` naming `field` and the
 * parameter when the policy refuses it.
 */
export function parseSafeUri(uri: string, options: UriPolicyOptions = {}, field = 'uri'): ParsedUri {
  return assertUriPolicy(parseUri(uri), options, field);
}

/** A migration data URI: where the destination's hypervisor listens for the migration stream. */
export interface MigrateUri {
  /** The URI as given. */
  readonly uri: string;
  /** Transport. */
  readonly scheme: 'tcp' | 'rdma' | 'unix';
  /** Host (empty for `unix`). */
  readonly host: string;
  /** Port, when the URI names one. */
  readonly port: number | undefined;
  /** Socket path for `unix`, else empty. */
  readonly path: string;
}

const MIGRATE_SCHEMES = ['tcp', 'rdma', 'unix'] as const;

/**
 * Parses a migration data URI: `tcp://HOST[:PORT]`, `rdma://HOST[:PORT]` or `unix:///PATH`,
 * with no user, query or fragment (nothing a hypervisor could read as an instruction). Throws
 * `E_INVALID_ARGUMENT` naming `field`.
 */
export function parseMigrateUri(uri: string, field = 'options.migrateUri'): MigrateUri {
  const refuse = (): never => {
    throw new InvalidArgumentError(
      field,
      `must be tcp://HOST[:PORT], rdma://HOST[:PORT] or unix:///PATH, got ${JSON.stringify(uri)}`,
    );
  };
  if (typeof uri !== 'string' || /[?#;]/.test(uri)) return refuse();
  let parsed: ParsedUri;
  try {
    parsed = parseUri(uri);
  } catch (e) {
    if (isVirtmigError(e, 'E_INVALID_URI')) return refuse();
    throw e;
  }
  const scheme = MIGRATE_SCHEMES.find((s) => s === parsed.scheme);
  if (scheme === undefined || parsed.user !== undefined) return refuse();
  if (scheme === 'unix') {
    if (parsed.host !== '' || parsed.port !== undefined || absolutePath(parsed.path) !== undefined) return refuse();
  } else if (!HOST.test(parsed.host) || (parsed.path !== '' && parsed.path !== '/')) return refuse();
  return {
    uri,
    scheme,
    host: parsed.host,
    port: parsed.port,
    path: scheme === 'unix' ? parsed.path : '',
  };
}
