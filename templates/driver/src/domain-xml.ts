import { assertDomainConfig, type DomainConfig, escapeXml } from '@virtmig/core';

/** Domain XML for libvirt's __name__ driver; throws `E_INVALID_ARGUMENT` naming the bad field. */
export function __name__DomainXml(config: DomainConfig): string {
  assertDomainConfig(config);
  if (config.xml !== undefined) return config.xml;
  const kib = config.memoryMiB * 1024;
  return [
    "<domain type='__name__'>",
    `  <name>${escapeXml(config.name)}</name>`,
    `  <memory unit='KiB'>${kib}</memory>`,
    `  <vcpu placement='static' current='${config.vcpus}'>${config.maxVcpus ?? config.vcpus}</vcpu>`,
    '  <os>',
    "    <type arch='x86_64'>hvm</type>",
    ...(config.kernel !== undefined ? [`    <kernel>${escapeXml(config.kernel)}</kernel>`] : []),
    ...(config.initrd !== undefined ? [`    <initrd>${escapeXml(config.initrd)}</initrd>`] : []),
    ...(config.cmdline !== undefined ? [`    <cmdline>${escapeXml(config.cmdline)}</cmdline>`] : []),
    '  </os>',
    '</domain>',
  ].join('\n');
}
