import { assertDomainName, DOMAIN_LIMITS, InvalidArgumentError } from '@virtmig/core';
import { XMLParser, XMLValidator } from 'fast-xml-parser';

// libvirt's memory units (docs/formatdomain: "unit" attribute), in bytes; KiB when absent.
const UNIT_BYTES: Readonly<Record<string, number>> = {
  b: 1,
  bytes: 1,
  KB: 1e3,
  k: 1024,
  KiB: 1024,
  MB: 1e6,
  M: 2 ** 20,
  MiB: 2 ** 20,
  GB: 1e9,
  G: 2 ** 30,
  GiB: 2 ** 30,
  TB: 1e12,
  T: 2 ** 40,
  TiB: 2 ** 40,
  PB: 1e15,
  P: 2 ** 50,
  PiB: 2 ** 50,
  EB: 1e18,
  E: 2 ** 60,
  EiB: 2 ** 60,
};

const parser = new XMLParser({ ignoreAttributes: false, attributeNamePrefix: '@', parseTagValue: false });

type Element = string | { '#text'?: string; [attr: `@${string}`]: string | undefined };

const text = (e: Element): string => (typeof e === 'string' ? e : (e['#text'] ?? '')).trim();

function wholeNumber(raw: string | undefined, field: string): number {
  const s = (raw ?? '').trim();
  const n = /^\d{1,16}$/.test(s) ? Number(s) : Number.NaN;
  if (!Number.isSafeInteger(n))
    throw new InvalidArgumentError(field, `must be a whole number, got ${JSON.stringify(raw)}`);
  return n;
}

function single(dom: Record<string, unknown>, tag: string, field: string): Element | undefined {
  const v = dom[tag];
  if (Array.isArray(v)) throw new InvalidArgumentError(field, `has more than one <${tag}>`);
  return v as Element | undefined;
}

function checkMemory(e: Element | undefined, field: string): void {
  if (e === undefined) return;
  const unit = typeof e === 'string' ? undefined : e['@unit'];
  const scale = UNIT_BYTES[unit ?? 'KiB'];
  if (scale === undefined) throw new InvalidArgumentError(field, `has an unknown unit ${JSON.stringify(unit)}`);
  const mib = (wholeNumber(text(e), field) * scale) / 2 ** 20;
  const { min, max } = DOMAIN_LIMITS.memoryMiB;
  if (!(mib >= min && mib <= max)) {
    throw new InvalidArgumentError(field, `must be between ${min} MiB and ${max} MiB, got ${mib} MiB`);
  }
}

function checkVcpus(n: number, field: string): void {
  const { min, max } = DOMAIN_LIMITS.vcpus;
  if (n < min || n > max) throw new InvalidArgumentError(field, `must be an integer in [${min}, ${max}], got ${n}`);
}

/**
 * Holds raw domain XML to the limits a {@link @virtmig/core!DomainConfig} is held to (name, memory, vCPUs:
 * `DOMAIN_LIMITS`), before libvirt sees it: libvirt itself allocates per vCPU, so an absurd
 * `<vcpu>` would exhaust memory inside it. `name` is the config's name the XML must carry.
 * @throws E_INVALID_ARGUMENT when the XML is malformed, is not a `<domain>`, or breaks a limit.
 */
export function assertDomainXml(xml: unknown, name: string, field = 'config.xml'): asserts xml is string {
  if (typeof xml !== 'string' || xml.trim() === '') throw new InvalidArgumentError(field, 'must be non-empty XML');
  const valid = XMLValidator.validate(xml);
  if (valid !== true) {
    throw new InvalidArgumentError(field, `is not well-formed XML: ${valid.err.msg} (line ${valid.err.line})`);
  }
  const doc = parser.parse(xml) as Record<string, unknown>;
  const root = Object.keys(doc).filter((k) => !k.startsWith('?'));
  if (root.length !== 1 || root[0] !== 'domain' || typeof doc.domain !== 'object' || doc.domain === null) {
    throw new InvalidArgumentError(field, 'must be one <domain> element');
  }
  const dom = doc.domain as Record<string, unknown>;
  const nameEl = single(dom, 'name', `${field} <name>`);
  const xmlName = nameEl === undefined ? undefined : text(nameEl);
  assertDomainName(xmlName, `${field} <name>`);
  if (xmlName !== name) {
    throw new InvalidArgumentError(
      `${field} <name>`,
      `is ${JSON.stringify(xmlName)}, config.name is ${JSON.stringify(name)}`,
    );
  }
  for (const tag of ['memory', 'currentMemory', 'maxMemory'])
    checkMemory(single(dom, tag, `${field} <${tag}>`), `${field} <${tag}>`);
  const vcpu = single(dom, 'vcpu', `${field} <vcpu>`);
  if (vcpu !== undefined) {
    const max = wholeNumber(text(vcpu), `${field} <vcpu>`);
    checkVcpus(max, `${field} <vcpu>`);
    const current = typeof vcpu === 'string' ? undefined : vcpu['@current'];
    if (current !== undefined) {
      const n = wholeNumber(current, `${field} <vcpu current>`);
      checkVcpus(n, `${field} <vcpu current>`);
      if (n > max)
        throw new InvalidArgumentError(`${field} <vcpu current>`, `must not exceed <vcpu> (${max}), got ${n}`);
    }
  }
}
