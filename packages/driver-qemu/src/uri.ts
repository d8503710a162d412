import { InvalidUriError, type ParsedUri, parseUri } from '@virtmig/core';

/** Transports libvirt's remote driver offers for QEMU: unix socket, SSH, TLS or plain TCP. */
export const QEMU_TRANSPORTS = ['unix', 'ssh', 'tls', 'tcp'] as const;

/**
 * Parses and checks a QEMU URI: `qemu:///system`, `qemu:///session`,
 * `qemu+unix:///system?socket=/path/libvirt-sock`, `qemu+ssh://[user@]host[:port]/system`,
 * `qemu+tls://host/system` or `qemu+tcp://host/system`; which query parameters reach libvirt is
 * the core URI policy's decision (`assertUriPolicy`).
 * @throws {@link @virtmig/core!InvalidUriError} `E_INVALID_URI` for anything else.
 */
export function parseQemuUri(uri: string): ParsedUri {
  const parsed = parseUri(uri);
  if (parsed.driver !== 'qemu')
    throw new InvalidUriError(uri, `the QEMU driver takes qemu:// URIs, not ${parsed.scheme}://`);
  const transport = parsed.transport;
  if (transport !== undefined && !(QEMU_TRANSPORTS as readonly string[]).includes(transport)) {
    throw new InvalidUriError(uri, `transport "${transport}" is not one of ${QEMU_TRANSPORTS.join(', ')}`);
  }
  const remote = transport === 'ssh' || transport === 'tls' || transport === 'tcp';
  if (remote && parsed.host === '') throw new InvalidUriError(uri, `qemu+${transport} needs a host`);
  if (!remote && parsed.host !== '') {
    throw new InvalidUriError(
      uri,
      'a local qemu URI has no host (qemu:///system); use qemu+ssh:// or qemu+tls:// for a remote host',
    );
  }
  if (transport === 'unix' && parsed.params.socket !== undefined && !parsed.params.socket.startsWith('/')) {
    throw new InvalidUriError(uri, 'socket must be an absolute path');
  }
  if (parsed.path !== '/system' && parsed.path !== '/session') {
    throw new InvalidUriError(uri, `path must be /system or /session, got ${JSON.stringify(parsed.path)}`);
  }
  return parsed;
}
