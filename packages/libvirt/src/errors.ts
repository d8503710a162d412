import { type ErrorCode, VirtmigError } from '@virtmig/core';
import { ENUMS } from './generated/enums.js';

const reverse = (table: Readonly<Record<string, number>>): Map<number, string> =>
  new Map(Object.entries(table).map(([k, v]) => [v, k]));
const ERROR_NAMES = reverse(ENUMS.virErrorNumber);
const DOMAIN_NAMES = reverse(ENUMS.virErrorDomain);

const E = ENUMS.virErrorNumber;
/** libvirt error numbers that map onto virtmig's own codes; everything else is `E_LIBVIRT`. */
const CODE_MAP: ReadonlyMap<number, ErrorCode> = new Map<number, ErrorCode>([
  [E.VIR_ERR_NO_DOMAIN, 'E_NOT_FOUND'],
  [E.VIR_ERR_NO_NETWORK, 'E_NOT_FOUND'],
  [E.VIR_ERR_NO_STORAGE_POOL, 'E_NOT_FOUND'],
  [E.VIR_ERR_NO_STORAGE_VOL, 'E_NOT_FOUND'],
  [E.VIR_ERR_NO_SECRET, 'E_NOT_FOUND'],
  [E.VIR_ERR_OPERATION_INVALID, 'E_STATE'],
  [E.VIR_ERR_INVALID_ARG, 'E_INVALID_ARGUMENT'],
  [E.VIR_ERR_XML_ERROR, 'E_INVALID_ARGUMENT'],
  [E.VIR_ERR_XML_DETAIL, 'E_INVALID_ARGUMENT'],
  [E.VIR_ERR_XML_INVALID_SCHEMA, 'E_INVALID_ARGUMENT'],
  [E.VIR_ERR_CONFIG_UNSUPPORTED, 'E_INVALID_ARGUMENT'],
  [E.VIR_ERR_NO_SUPPORT, 'E_UNSUPPORTED'],
  [E.VIR_ERR_ARGUMENT_UNSUPPORTED, 'E_UNSUPPORTED'],
  [E.VIR_ERR_OPERATION_UNSUPPORTED, 'E_UNSUPPORTED'],
  [E.VIR_ERR_OPERATION_ABORTED, 'E_ABORTED'],
  [E.VIR_ERR_OPERATION_TIMEOUT, 'E_TIMEOUT'],
  [E.VIR_ERR_AGENT_UNRESPONSIVE, 'E_TIMEOUT'],
]);

/** What libvirt reported for one failed call (its virError). */
export interface LibvirtErrorInfo {
  /** The C function that failed. */
  readonly fn: string;
  /** virErrorNumber, e.g. 42. */
  readonly libvirtCode: number;
  /** virErrorDomain, e.g. 12. */
  readonly libvirtDomain: number;
  /** libvirt's message. */
  readonly libvirtMessage: string;
}

/**
 * libvirt's message without what it quoted from a document. Its XML parser's detail
 * (VIR_ERR_XML_DETAIL) carries libxml2's text, which repeats names and the offending line of
 * the input (a file, or a caller's XML with a `passwd` in it), so reading `test:///etc/shadow`
 * would otherwise put that file in the error: only the location (`FILE:LINE` or `at line N`)
 * stays. When opening a connection the document is a file the URI names, whose element names
 * and values libvirt's XML errors (VIR_ERR_XML_ERROR, VIR_ERR_XML_INVALID_SCHEMA) quote in
 * '...': those become '…' (except an absolute path, the file itself) and only the first line
 * stays. A caller's own XML keeps them, to say which of its values is wrong.
 */
function redactedMessage(info: LibvirtErrorInfo): string {
  const first = info.libvirtMessage.split('\n')[0] ?? '';
  if (info.libvirtCode === E.VIR_ERR_XML_DETAIL) {
    const location = /^(.*?:\d+|at line \d+):/.exec(first)?.[1];
    return `${location ? `${location}: ` : ''}XML parse error (libvirt's detail is withheld: it quotes the document)`;
  }
  const xmlError = info.libvirtCode === E.VIR_ERR_XML_ERROR || info.libvirtCode === E.VIR_ERR_XML_INVALID_SCHEMA;
  // A quoted absolute path is the file the URI named (`failed to parse xml document '/x.xml'`).
  if (xmlError && info.fn.startsWith('virConnectOpen'))
    return first.replace(/'([^']*)'/g, (quoted, text: string) => (text.startsWith('/') ? quoted : "'…'"));
  return info.libvirtMessage;
}

/**
 * A libvirt call failed. `code` is a virtmig code when the libvirt error has a natural one
 * (`E_NOT_FOUND` for VIR_ERR_NO_DOMAIN, ...), else `E_LIBVIRT`; libvirt's own code, domain and
 * message are kept, read on the thread that made the call, except the part of an XML parse
 * error that quotes the document (see `redactedMessage`).
 */
export class LibvirtError extends VirtmigError {
  /** The C function that failed. */
  readonly fn: string;
  /** virErrorNumber, e.g. 42. */
  readonly libvirtCode: number;
  /** libvirt's name for the code, e.g. `VIR_ERR_NO_DOMAIN`. */
  readonly libvirtCodeName: string;
  /** virErrorDomain, e.g. 12. */
  readonly libvirtDomain: number;
  /** libvirt's name for the domain, e.g. `VIR_FROM_TEST`. */
  readonly libvirtDomainName: string;
  /** libvirt's message (XML parse errors without the quoted document). */
  readonly libvirtMessage: string;

  constructor(info: LibvirtErrorInfo) {
    const codeName = ERROR_NAMES.get(info.libvirtCode) ?? `VIR_ERR_${info.libvirtCode}`;
    const domainName = DOMAIN_NAMES.get(info.libvirtDomain) ?? `VIR_FROM_${info.libvirtDomain}`;
    const message = redactedMessage(info);
    super(CODE_MAP.get(info.libvirtCode) ?? 'E_LIBVIRT', `${info.fn}: ${message}`, {
      fn: info.fn,
      libvirtCode: info.libvirtCode,
      libvirtCodeName: codeName,
      libvirtDomain: info.libvirtDomain,
      libvirtDomainName: domainName,
    });
    this.fn = info.fn;
    this.libvirtCode = info.libvirtCode;
    this.libvirtCodeName = codeName;
    this.libvirtDomain = info.libvirtDomain;
    this.libvirtDomainName = domainName;
    this.libvirtMessage = message;
  }
}

/** A libvirt function is not in the loaded library (an older libvirt, or not in the table). */
export class FunctionUnavailableError extends VirtmigError {
  /** The function that is missing. */
  readonly fn: string;
  /** libvirt version that added it, or `unknown`. */
  readonly since: string;
  constructor(fn: string, since: string, runtimeVersion: string) {
    super(
      'E_FUNCTION_UNAVAILABLE',
      `libvirt function ${fn} is not available: it was added in libvirt ${since}, the loaded library is ${runtimeVersion}`,
      { fn, since, runtimeVersion },
    );
    this.fn = fn;
    this.since = since;
  }
}
