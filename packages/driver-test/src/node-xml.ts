import { assertInt, escapeXml } from '@virtmig/core';

/** Options for {@link testNodeXml}. */
export interface TestNodeOptions {
  /** Number of domains. */
  readonly domains: number;
  /** Name prefix; domains are `<prefix>0000`, `<prefix>0001`, ... */
  readonly prefix?: string;
  /** Host CPUs. */
  readonly cpus?: number;
  /** Memory per domain in MiB. */
  readonly memoryMiB?: number;
  /** Whether domains start running. */
  readonly running?: boolean;
}

/**
 * A custom node description for `test:///path/to/file.xml`: a host with `domains` domains,
 * e.g. 1000 for the all-domain-stats benchmark.
 */
export function testNodeXml(options: TestNodeOptions): string {
  assertInt(options.domains, 'domains', 0, 100_000);
  const cpus = options.cpus ?? 16;
  assertInt(cpus, 'cpus', 1, 4096);
  const prefix = escapeXml(options.prefix ?? 'dom');
  const mem = (options.memoryMiB ?? 128) * 1024;
  const width = Math.max(4, String(options.domains).length);
  const state = options.running === false ? 'shutoff' : 'running';
  const doms: string[] = [];
  for (let i = 0; i < options.domains; i++) {
    doms.push(
      `  <domain type='test'><name>${prefix}${String(i).padStart(width, '0')}</name><memory unit='KiB'>${mem}</memory><vcpu>1</vcpu><os><type>hvm</type></os><test:runstate xmlns:test='http://libvirt.org/schemas/domain/test/1.0'>${state === 'running' ? 1 : 5}</test:runstate></domain>`,
    );
  }
  return [
    '<node>',
    `  <cpu><mhz>2000</mhz><model>virtmig-test</model><nodes>1</nodes><sockets>1</sockets><cores>${cpus}</cores><threads>1</threads><active>${cpus}</active></cpu>`,
    `  <memory>${Math.max(mem * options.domains, 8 * 1024 * 1024)}</memory>`,
    ...doms,
    '</node>',
  ].join('\n');
}
