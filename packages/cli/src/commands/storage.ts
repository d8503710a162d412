import { type DriverRegistry, InvalidArgumentError, StateError } from '@virtmig/core';
import { LAB_STORAGE_DEFAULT_SIZE, LabStorage, type LabStorageStatus, secretHostsVia } from '@virtmig/iscsi';
import type { Command } from 'commander';
import { cliRegistry } from '../drivers.js';
import type { Output } from '../output.js';
import { type LabStatus, labPrefix, labStatus } from './lab.js';

const PREFIX_HELP = 'lab prefix (default $VIRTMIG_LAB_PREFIX or vmlab)';
const UNITS: Record<string, number> = { '': 1, k: 1 << 10, m: 1 << 20, g: 1 << 30 };

/** A size such as `268435456`, `256M`, `256MiB` or `1G` (binary units) in bytes; `E_INVALID_ARGUMENT` otherwise. */
export function parseSize(text: string, field = '--size'): number {
  const m = /^([0-9]{1,12})\s*([kKmMgG]?)(?:i?B)?$/.exec(text);
  const n = m ? Number(m[1]) * (UNITS[(m[2] ?? '').toLowerCase()] ?? Number.NaN) : Number.NaN;
  if (!Number.isSafeInteger(n) || n <= 0)
    throw new InvalidArgumentError(field, `must be a size such as 256M or 1G, got ${JSON.stringify(text)}`);
  return n;
}

/** The shared disk of a lab (see `LabStorage.forLab`); CHAP secrets go to the hosts through `registry`'s drivers. */
export function labStorageFor(status: LabStatus, registry: DriverRegistry = cliRegistry()): LabStorage {
  return LabStorage.forLab(
    {
      prefix: status.prefix,
      stateDir: status.stateDir,
      hosts: status.hosts.map((h) => ({
        name: h.name,
        uri: h.uri,
        address: h.address,
        ...(typeof h.netns === 'string' ? { netns: h.netns } : {}),
      })),
    },
    { secrets: secretHostsVia(registry) },
  );
}

/** A one-screen summary of the shared disk. */
export function formatStorageStatus(s: LabStorageStatus): string {
  if (s.state === 'stopped') return `storage of lab ${s.prefix}: stopped`;
  const lines = [
    `storage of lab ${s.prefix}: ${s.state}`,
    `  target ${s.iqn} LUN ${s.lun} on ${s.portal} (netns ${s.netns})`,
    `  backing file ${s.backingFile} (${Math.round((s.sizeBytes ?? 0) / (1 << 20))} MiB, sparse)`,
    `  tgtd pid ${s.tgtd?.pid ?? '-'} control port ${s.tgtd?.controlPort} ${s.tgtd?.running ? 'running' : 'not running'}`,
    `  initiators ${(s.initiators ?? []).map((i) => `${i.host}=${i.iqn}`).join(' ')}`,
    `  CHAP ${s.chap ? `user ${s.chap.username}, libvirt secret ${s.chap.secretUuid}` : 'off'}`,
    `  sessions ${(s.sessions ?? []).map((x) => `${x.initiator}@${x.address}`).join(' ') || 'none'}`,
  ];
  for (const p of s.problems ?? []) lines.push(`  problem: ${p}`);
  return lines.join('\n');
}

/** Adds `storage up|down|status`: the lab's shared iSCSI disk served from tgt. */
export function addStorageCommands(program: Command, makeOutput: (json: boolean) => Output): void {
  const storage = program
    .command('storage')
    .description("the lab's shared disk: an iSCSI LUN served by tgt inside the lab, reachable from both hosts");
  storage
    .command('up')
    .description('serve the shared disk (idempotent) and print its status')
    .option('--size <size>', 'size of the sparse LUN file, e.g. 256M or 1G', `${LAB_STORAGE_DEFAULT_SIZE >> 20}M`)
    .option('--chap', 'one-way CHAP with a generated secret, defined as a libvirt secret on both hosts')
    .option('--prefix <name>', PREFIX_HELP)
    .option('--json', 'print JSON')
    .action(async (opts: { size: string; chap?: boolean; prefix?: string; json?: boolean }) => {
      const out = makeOutput(Boolean(opts.json));
      const sizeBytes = parseSize(opts.size);
      const status = await labStatus(labPrefix(opts.prefix));
      if (status.state !== 'running')
        throw new StateError(`lab ${status.prefix} is not running; run \`virtmig lab up\` first`, {
          prefix: status.prefix,
        });
      const s = await labStorageFor(status).up({ sizeBytes, chap: Boolean(opts.chap) });
      out.data(s, () => formatStorageStatus(s));
    });
  storage
    .command('down')
    .description('stop tgtd and remove the LUN file, the CHAP secret and the libvirt secrets')
    .option('--prefix <name>', PREFIX_HELP)
    .option('--json', 'print JSON')
    .action(async (opts: { prefix?: string; json?: boolean }) => {
      const out = makeOutput(Boolean(opts.json));
      const result = await labStorageFor(await labStatus(labPrefix(opts.prefix))).down();
      out.data(result, () => (result.removed.length ? `removed ${result.removed.join(', ')}` : 'nothing to remove'));
    });
  storage
    .command('status')
    .description('what serves the shared disk, who is logged in')
    .option('--prefix <name>', PREFIX_HELP)
    .option('--json', 'print JSON')
    .action(async (opts: { prefix?: string; json?: boolean }) => {
      const out = makeOutput(Boolean(opts.json));
      const s = await labStorageFor(await labStatus(labPrefix(opts.prefix))).status();
      out.data(s, () => formatStorageStatus(s));
    });
}
