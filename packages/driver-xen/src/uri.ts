import { InvalidUriError, type ParsedUri, parseUri } from '@virtmig/core';

/** Transports libvirt offers for the Xen (libxl) driver: local, or remote over SSH, TLS or plain TCP. */
export const XEN_TRANSPORTS = ['ssh', 'tls', 'tcp'] as const;

/**
 * Parses and checks a Xen URI: `xen:///system` (local dom0), or `xen+ssh://[user@]host[:port]/system`,
 * `xen+tls://host/system`, `xen+tcp://host/system`; which query parameters reach libvirt is the
 * core URI policy's decision (`assertUriPolicy`).
 * @throws {@link @virtmig/core!InvalidUriError} `E_INVALID_URI` for anything else.
 */
export function parseXenUri(uri: string): ParsedUri {
  const parsed = parseUri(uri);
  if (parsed.driver !== 'xen')
    throw new InvalidUriError(uri, `the Xen driver takes xen:// URIs, not ${parsed.scheme}://`);
  const transport = parsed.transport;
  if (transport !== undefined && !(XEN_TRANSPORTS as readonly string[]).includes(transport)) {
    throw new InvalidUriError(uri, `transport "${transport}" is not one of ${XEN_TRANSPORTS.join(', ')}`);
  }
  if (transport === undefined && parsed.host !== '') {
    throw new InvalidUriError(
      uri,
      'a local xen URI has no host (xen:///system); use xen+ssh:// or xen+tls:// for a remote dom0',
    );
  }
  if (transport !== undefined && parsed.host === '') throw new InvalidUriError(uri, `xen+${transport} needs a host`);
  // libxl has no session mode: only the privileged /system connection exists.
  if (parsed.path !== '/system')
    throw new InvalidUriError(uri, `path must be /system, got ${JSON.stringify(parsed.path)}`);
  return parsed;
}
