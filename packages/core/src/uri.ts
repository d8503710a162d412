import { InvalidUriError } from './errors.js';

/** A libvirt-style hypervisor URI split into its parts, e.g. `qemu+ssh://user@host/system?x=y`. */
export interface ParsedUri {
  /** The whole URI as given. */
  readonly uri: string;
  /** The full scheme, e.g. `qemu+ssh`. */
  readonly scheme: string;
  /** The driver part of the scheme, e.g. `qemu`: the registry key. */
  readonly driver: string;
  /** The transport part after `+`, e.g. `ssh`, or undefined for a local URI. */
  readonly transport: string | undefined;
  /** Host (empty for local URIs). */
  readonly host: string;
  /** Port, when given. */
  readonly port: number | undefined;
  /** User, when given. */
  readonly user: string | undefined;
  /** Path, e.g. `/system` or `/default`. */
  readonly path: string;
  /** Query parameters. */
  readonly params: Readonly<Record<string, string>>;
}

const SCHEME = /^([a-z][a-z0-9]*)(?:\+([a-z][a-z0-9]*))?$/;

/**
 * Parses a libvirt URI of the form `driver[+transport]://[user@][host][:port]/path[?query]`.
 * @throws {@link InvalidUriError} `E_INVALID_URI` when `uri` is empty, contains whitespace or NUL,
 * or does not have that form.
 */
export function parseUri(uri: string): ParsedUri {
  if (typeof uri !== 'string' || uri.length === 0) throw new InvalidUriError(String(uri), 'empty');
  if (/[\s\0]/.test(uri)) throw new InvalidUriError(uri, 'contains whitespace or NUL');
  const m = /^([^:/?#]+):\/\/(.*)$/.exec(uri);
  if (!m) throw new InvalidUriError(uri, 'expected scheme://...');
  const scheme = (m[1] ?? '').toLowerCase();
  const sm = SCHEME.exec(scheme);
  if (!sm) throw new InvalidUriError(uri, `bad scheme "${scheme}"`);
  // URL would resolve them away, while libvirt sees the path as written (test:///x/../default reads a file).
  if (/\/(\.|%2e){1,2}(\/|$)/i.test((m[2] ?? '').split(/[?#]/)[0] ?? ''))
    throw new InvalidUriError(uri, 'the path has . or .. segments');
  let url: URL;
  try {
    // URL parses a special-scheme-free URI generically; swap the scheme to keep host parsing uniform.
    url = new URL(`virtmig://${m[2] ?? ''}`);
  } catch (e) {
    throw new InvalidUriError(uri, (e as Error).message);
  }
  const params: Record<string, string> = {};
  for (const [k, v] of url.searchParams) params[k] = v;
  const decode = (part: string): string => {
    try {
      return decodeURIComponent(part);
    } catch {
      throw new InvalidUriError(uri, 'bad percent-encoding');
    }
  };
  return {
    uri,
    scheme,
    driver: sm[1] ?? scheme,
    transport: sm[2],
    host: decode(url.hostname),
    port: url.port ? Number(url.port) : undefined,
    user: url.username ? decode(url.username) : undefined,
    path: decode(url.pathname),
    params,
  };
}
