import { InvalidUriError, type ParsedUri, parseUri } from '@virtmig/core';

/** Transports libvirt offers for a remote __name__ host. */
export const __NAME___TRANSPORTS = ['ssh', 'tls', 'tcp'] as const;

/** Parses and checks a `__name__:///system` or `__name__+ssh://host/system` URI; throws `E_INVALID_URI`. */
export function parse__Name__Uri(uri: string): ParsedUri {
  const parsed = parseUri(uri);
  if (parsed.driver !== '__name__')
    throw new InvalidUriError(uri, `the __name__ driver takes __name__:// URIs, not ${parsed.scheme}://`);
  const transport = parsed.transport;
  if (transport !== undefined && !(__NAME___TRANSPORTS as readonly string[]).includes(transport)) {
    throw new InvalidUriError(uri, `transport "${transport}" is not one of ${__NAME___TRANSPORTS.join(', ')}`);
  }
  if ((transport === undefined) !== (parsed.host === ''))
    throw new InvalidUriError(uri, 'a local URI has no host, a remote one needs one');
  if (parsed.path !== '/system')
    throw new InvalidUriError(uri, `path must be /system, got ${JSON.stringify(parsed.path)}`);
  return parsed;
}
