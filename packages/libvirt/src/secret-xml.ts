import {
  assertSecretConfig,
  assertSecretUsage,
  assertSecretUuid,
  escapeXml,
  InvalidArgumentError,
  SECRET_LIMITS,
  type SecretConfig,
  type SecretInfo,
  type SecretUsageType,
} from '@virtmig/core';
import { XMLParser, XMLValidator } from 'fast-xml-parser';
import { ENUMS } from './generated/enums.js';

const U = ENUMS.virSecretUsageType;

/** virSecretUsageType value of each usage type. */
export const SECRET_USAGE_NUMBERS: Readonly<Record<SecretUsageType, number>> = Object.freeze({
  volume: U.VIR_SECRET_USAGE_TYPE_VOLUME,
  ceph: U.VIR_SECRET_USAGE_TYPE_CEPH,
  iscsi: U.VIR_SECRET_USAGE_TYPE_ISCSI,
  tls: U.VIR_SECRET_USAGE_TYPE_TLS,
  vtpm: U.VIR_SECRET_USAGE_TYPE_VTPM,
});

/** The element of `<usage>` that carries the usage id, per usage type (docs/formatsecret). */
const USAGE_ELEMENT: Readonly<Record<SecretUsageType, string>> = {
  volume: 'volume',
  ceph: 'name',
  iscsi: 'target',
  tls: 'name',
  vtpm: 'name',
};

/** Largest raw secret XML {@link assertSecretXml} accepts, in bytes. */
export const SECRET_XML_MAX_BYTES = 16 * 1024;

/** core's name of a virSecretUsageType value (`none` for VIR_SECRET_USAGE_TYPE_NONE, `unknown` beyond the known ones). */
export function secretUsageName(n: number): SecretInfo['usageType'] {
  if (n === U.VIR_SECRET_USAGE_TYPE_NONE) return 'none';
  const found = (Object.entries(SECRET_USAGE_NUMBERS) as [SecretUsageType, number][]).find(([, v]) => v === n);
  return found ? found[0] : 'unknown';
}

/**
 * libvirt's secret XML for a config: private unless `private: false`, persistent unless
 * `ephemeral: true`, every text escaped.
 * @throws {@link @virtmig/core!InvalidArgumentError} `E_INVALID_ARGUMENT` for a bad config (see {@link @virtmig/core!assertSecretConfig}).
 */
export function secretXml(config: SecretConfig): string {
  assertSecretConfig(config);
  const flag = (on: boolean): string => (on ? 'yes' : 'no');
  const el = USAGE_ELEMENT[config.usageType];
  return [
    `<secret ephemeral='${flag(config.ephemeral === true)}' private='${flag(config.private !== false)}'>`,
    ...(config.uuid !== undefined ? [`  <uuid>${config.uuid}</uuid>`] : []),
    ...(config.description !== undefined ? [`  <description>${escapeXml(config.description)}</description>`] : []),
    `  <usage type='${config.usageType}'><${el}>${escapeXml(config.usageId)}</${el}></usage>`,
    '</secret>',
    '',
  ].join('\n');
}

const parser = new XMLParser({ ignoreAttributes: false, attributeNamePrefix: '@', parseTagValue: false });

type Node = Record<string, unknown>;

const text = (v: unknown): string | undefined =>
  typeof v === 'string'
    ? v.trim()
    : typeof (v as Node)?.['#text'] === 'string'
      ? ((v as Node)['#text'] as string).trim()
      : undefined;

/** What {@link parseSecretXml} reads from checked secret XML. */
export interface ParsedSecretXml {
  /** The usage type. */
  readonly usageType: SecretUsageType;
  /** The usage id. */
  readonly usageId: string;
  /** The UUID, when the XML names one. */
  readonly uuid?: string;
}

/**
 * Holds raw secret XML to what {@link secretXml} could have produced, before libvirt sees it, and
 * returns its usage and UUID (see {@link assertSecretXml} for the limits).
 * @throws {@link @virtmig/core!InvalidArgumentError} `E_INVALID_ARGUMENT` naming what is wrong.
 */
export function parseSecretXml(xml: unknown, field = 'xml'): ParsedSecretXml {
  if (typeof xml !== 'string' || xml.trim() === '') throw new InvalidArgumentError(field, 'must be non-empty XML');
  const bytes = Buffer.byteLength(xml, 'utf8');
  if (bytes > SECRET_XML_MAX_BYTES)
    throw new InvalidArgumentError(field, `must be at most ${SECRET_XML_MAX_BYTES} bytes, got ${bytes}`);
  const valid = XMLValidator.validate(xml);
  if (valid !== true)
    throw new InvalidArgumentError(field, `is not well-formed XML: ${valid.err.msg} (line ${valid.err.line})`);
  const doc = parser.parse(xml) as Node;
  const root = Object.keys(doc).filter((k) => !k.startsWith('?'));
  if (root.length !== 1 || root[0] !== 'secret' || typeof doc.secret !== 'object' || doc.secret === null)
    throw new InvalidArgumentError(field, 'must be one <secret> element');
  const secret = doc.secret as Node;
  for (const attr of ['@ephemeral', '@private']) {
    const v = secret[attr];
    if (v !== undefined && v !== 'yes' && v !== 'no')
      throw new InvalidArgumentError(
        `${field} <secret ${attr.slice(1)}>`,
        `must be yes or no, got ${JSON.stringify(v)}`,
      );
  }
  for (const tag of ['uuid', 'description', 'usage']) {
    if (Array.isArray(secret[tag])) throw new InvalidArgumentError(field, `has more than one <${tag}>`);
  }
  if (secret.uuid !== undefined) assertSecretUuid(text(secret.uuid), `${field} <uuid>`);
  const description = secret.description === undefined ? undefined : text(secret.description);
  if (description !== undefined && description.length > SECRET_LIMITS.descriptionLength)
    throw new InvalidArgumentError(
      `${field} <description>`,
      `must be at most ${SECRET_LIMITS.descriptionLength} characters`,
    );
  const usage = secret.usage as Node | undefined;
  if (usage === undefined || typeof usage !== 'object')
    throw new InvalidArgumentError(`${field} <usage>`, 'is missing: every secret virtmig defines names its user');
  const type = usage['@type'] as SecretUsageType;
  const el = USAGE_ELEMENT[type];
  const usageId = el === undefined ? undefined : text(usage[el]);
  assertSecretUsage(type, usageId, `${field} <usage>`);
  const uuid = secret.uuid === undefined ? undefined : text(secret.uuid);
  return { usageType: type, usageId: usageId as string, ...(uuid !== undefined ? { uuid } : {}) };
}

/**
 * Holds raw secret XML to what {@link secretXml} could have produced, before libvirt sees it: at
 * most {@link SECRET_XML_MAX_BYTES}, one `<secret>` element, `yes`/`no` flags, a valid UUID, and
 * one `<usage>` of a known type whose id passes {@link @virtmig/core!assertSecretUsage}. The XML
 * never carries a value (libvirt takes it only through virSecretSetValue).
 * @throws {@link @virtmig/core!InvalidArgumentError} `E_INVALID_ARGUMENT` naming what is wrong.
 */
export function assertSecretXml(xml: unknown, field = 'xml'): asserts xml is string {
  parseSecretXml(xml, field);
}
