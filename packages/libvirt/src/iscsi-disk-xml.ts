import { assertInt, type DiskConfig, escapeXml, InvalidArgumentError } from '@virtmig/core';

const IQN =
  /^(iqn\.\d{4}-\d{2}\.[A-Za-z0-9][A-Za-z0-9.-]*(:[A-Za-z0-9.:_-]+)?|eui\.[0-9A-Fa-f]{16}|naa\.[0-9A-Fa-f]{16,32})$/;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const CHAP_USER = /^[A-Za-z0-9._@:-]{1,255}$/;
const HOST = /^([A-Za-z0-9.-]+|\[[0-9A-Fa-f:.]+\])$/;

/** An iSCSI disk of a {@link DiskConfig}. */
export type IscsiDiskConfig = Extract<
  DiskConfig,
  {
    /** Selects the `iscsi` member. */
    kind: 'iscsi';
  }
>;

/** An iSCSI portal split into host and port (3260 when omitted); `E_INVALID_ARGUMENT` naming `field` otherwise. */
export function parsePortal(
  portal: unknown,
  field: string,
): {
  /** Host name or address, without IPv6 brackets. */
  host: string;
  /** TCP port. */
  port: number;
} {
  const m = typeof portal === 'string' ? /^(.+?)(?::(\d{1,5}))?$/.exec(portal) : null;
  const host = m?.[1] ?? '';
  const port = m?.[2] === undefined ? 3260 : Number(m[2]);
  if (!m || !HOST.test(host) || port < 1 || port > 65535) {
    throw new InvalidArgumentError(field, `must be host[:port], got ${JSON.stringify(portal)}`);
  }
  return { host: host.replace(/^\[|\]$/g, ''), port };
}

/**
 * Checks an iSCSI disk's portal, IQN, LUN, initiator IQN and CHAP (user name, libvirt secret
 * UUID) before any XML is made; throws `E_INVALID_ARGUMENT` naming the field under `field`.
 * Returns the portal's host and port.
 */
export function assertIscsiDisk(
  disk: IscsiDiskConfig,
  field: string,
): {
  /** Host name or address, without IPv6 brackets. */
  host: string;
  /** TCP port. */
  port: number;
} {
  const portal = parsePortal(disk.portal, `${field}.portal`);
  if (typeof disk.iqn !== 'string' || !IQN.test(disk.iqn))
    throw new InvalidArgumentError(`${field}.iqn`, `not an IQN: ${JSON.stringify(disk.iqn)}`);
  assertInt(disk.lun, `${field}.lun`, 0, 16383);
  if (disk.initiatorIqn !== undefined && (typeof disk.initiatorIqn !== 'string' || !IQN.test(disk.initiatorIqn))) {
    throw new InvalidArgumentError(`${field}.initiatorIqn`, `not an IQN: ${JSON.stringify(disk.initiatorIqn)}`);
  }
  if (disk.chap !== undefined) {
    if (typeof disk.chap.username !== 'string' || !CHAP_USER.test(disk.chap.username)) {
      throw new InvalidArgumentError(`${field}.chap.username`, 'must be 1-255 of [A-Za-z0-9._@:-]');
    }
    if (typeof disk.chap.secretUuid !== 'string' || !UUID.test(disk.chap.secretUuid)) {
      throw new InvalidArgumentError(`${field}.chap.secretUuid`, 'must be a libvirt secret UUID');
    }
  }
  return portal;
}

/**
 * The `<source protocol='iscsi'>` element of a libvirt network disk for a checked iSCSI disk
 * (see {@link assertIscsiDisk}): target IQN and LUN, portal, initiator IQN, and CHAP as a
 * reference to a libvirt secret, so the password never appears in domain XML.
 */
export function iscsiNetworkSourceXml(disk: IscsiDiskConfig, portal: { host: string; port: number }): string[] {
  return [
    `      <source protocol='iscsi' name='${escapeXml(`${disk.iqn}/${disk.lun}`)}'>`,
    `        <host name='${escapeXml(portal.host)}' port='${portal.port}'/>`,
    ...(disk.initiatorIqn !== undefined
      ? [`        <initiator><iqn name='${escapeXml(disk.initiatorIqn)}'/></initiator>`]
      : []),
    ...(disk.chap !== undefined
      ? [
          `        <auth username='${escapeXml(disk.chap.username)}'>`,
          `          <secret type='iscsi' uuid='${disk.chap.secretUuid.toLowerCase()}'/>`,
          '        </auth>',
        ]
      : []),
    '      </source>',
  ];
}
