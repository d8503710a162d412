import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { type LinkShaping, ParseError, StateError } from '@virtmig/core';
import { LabStorage, type SecretHostConnector, SshRunner } from '@virtmig/iscsi';
import { CommandFailedError } from '@virtmig/workloads';
import { type ConsoleSource, type GuestImage, xenConsole } from './guest.js';
import { repoPath } from './paths.js';
import type { HostPairSpec } from './spec-types.js';

interface LabStatus {
  state: string;
  prefix: string;
  stateDir: string;
  domainType?: string;
  hosts: { name: string; running: boolean; uri: string; address: string; netns?: string }[];
  link?: { subnet: string; shape: LinkShaping | null };
}

/** Runs a lab script's `status --json` and parses it. */
async function statusOf<T>(labScript: string): Promise<T> {
  let stdout: string;
  try {
    ({ stdout } = await promisify(execFile)(labScript, ['status', '--json'], { maxBuffer: 1 << 20 }));
  } catch (e) {
    const err = e as { code?: number; stderr?: string };
    throw new CommandFailedError(
      labScript,
      ['status', '--json'],
      err.code ?? null,
      null,
      String(err.stderr ?? e).slice(-400),
    );
  }
  try {
    return JSON.parse(stdout) as T;
  } catch {
    throw new ParseError('lab status', 'not JSON');
  }
}

/** The running lab's `status --json`; throws `E_STATE` when the lab is not up. */
async function runningLab(labScript: string): Promise<LabStatus> {
  const status = await statusOf<LabStatus>(labScript);
  const a = status.hosts?.find((h) => h.name === 'a');
  const b = status.hosts?.find((h) => h.name === 'b');
  if (status.state !== 'running' || !a?.running || !b?.running) {
    throw new StateError('the lab is not running; start it with `virtmig lab up` (or scripts/lab/lab up)', {
      state: status.state,
    });
  }
  return status;
}

/**
 * The host pair of the running local lab (`scripts/lab/lab status --json`): guests start on
 * host a and migrate to host b over the lab's link (migrate URI `tcp://<b's address>`, the port
 * chosen by libvirt from b's range), with the QEMU driver options the lab needs. Throws `E_STATE` when the lab is not up.
 */
export async function labHostPairs(labScript = repoPath('scripts/lab/lab')): Promise<HostPairSpec[]> {
  const status = await runningLab(labScript);
  const a = status.hosts.find((h) => h.name === 'a') as LabStatus['hosts'][number];
  const b = status.hosts.find((h) => h.name === 'b') as LabStatus['hosts'][number];
  // The lab's guest image loads no modules, so it has no balloon driver; TCG unless KVM really works.
  const connectOptions = { domainType: status.domainType === 'kvm' ? 'kvm' : 'qemu', memoryBalloon: false };
  return [{ source: a.uri, destination: b.uri, migrateUri: `tcp://${b.address}`, connectOptions }];
}

/**
 * The running local lab's link limit (`scripts/lab/lab shape`): `none` when the link is not
 * shaped, `unknown` when the status does not say. Throws `E_STATE` when the lab is not up.
 */
export async function labLinkShaping(
  labScript = repoPath('scripts/lab/lab'),
): Promise<LinkShaping | 'none' | 'unknown'> {
  const status = await runningLab(labScript);
  if (status.link === undefined) return 'unknown';
  const shape = status.link.shape;
  return shape && typeof shape.rate === 'string' && typeof shape.delay === 'string'
    ? { rate: shape.rate, delay: shape.delay }
    : 'none';
}

/**
 * The shared disk of the running local lab (`LabStorage.forLab` over the same status JSON as
 * {@link labHostPairs}), defining its CHAP secret through `secrets`; it is not started here.
 * Throws `E_STATE` when the lab is not up.
 */
export async function labStorage(
  labScript = repoPath('scripts/lab/lab'),
  secrets?: SecretHostConnector,
): Promise<LabStorage> {
  return LabStorage.forLab(await runningLab(labScript), secrets ? { secrets } : {});
}

interface XenlabStatus {
  state: string;
  ssh: { user: string; identityFile: string; knownHostsFile: string };
  guest: { kernel: string; initrd: string };
  hosts: {
    name: string;
    running: boolean;
    sshPort: number;
    uri?: string;
    migrationAddress?: string;
    peerUri?: string;
  }[];
}

/** The running Xen testbed's `status --json` and its two Xen hosts; throws `E_STATE` when it is not up. */
async function runningXenlab(script: string) {
  const status = await statusOf<XenlabStatus>(script);
  const a = status.hosts?.find((h) => h.name === 'xen-a');
  const b = status.hosts?.find((h) => h.name === 'xen-b');
  if (status.state !== 'running' || !a?.running || !b?.running || !a.uri || !b.uri) {
    throw new StateError('the Xen testbed is not running; start it with `virtmig lab up --kind xen`', {
      state: status.state,
    });
  }
  return { status, a: { ...a, uri: a.uri }, b: { ...b, uri: b.uri } };
}

/**
 * The host pair of the running Xen testbed (`scripts/xenlab/xenlab status --json`, docs/xenlab.md):
 * guests start on xen-a and migrate to xen-b over the migration link (libxl listens there; the
 * dom0s' libvirtds are reached on forwarded loopback ports with the lab's TLS certificates), or
 * with `migration.tunnelled` peer-to-peer inside xen-a's TLS connection to `xen+tls://xen-b/system`.
 * The testbed's PV domUs have no working balloon driver. Throws `E_STATE` when it is not up.
 */
export async function xenlabHostPairs(script = repoPath('scripts/xenlab/xenlab')): Promise<HostPairSpec[]> {
  const { a, b } = await runningXenlab(script);
  return [
    {
      source: a.uri,
      destination: b.uri,
      migrateUri: `tcp://${b.migrationAddress}`,
      ...(b.peerUri !== undefined ? { peerUri: b.peerUri } : {}),
      connectOptions: { memoryBalloon: false },
    },
  ];
}

/**
 * What guests on the running Xen testbed need: the guest image as the dom0s hold it, and their
 * PV consoles followed over ssh on both Xen hosts. Throws `E_STATE` when it is not up.
 */
export async function xenlabGuestSetup(script = repoPath('scripts/xenlab/xenlab')): Promise<{
  /** The guest image as the dom0s hold it. */
  image: GuestImage;
  /** The guests' PV consoles, followed over ssh on both Xen hosts. */
  console: ConsoleSource;
}> {
  const { status, a, b } = await runningXenlab(script);
  const runners = [a, b].map(
    (h) =>
      new SshRunner({
        host: '127.0.0.1',
        port: h.sshPort,
        user: status.ssh.user,
        identityFile: status.ssh.identityFile,
        knownHostsFile: status.ssh.knownHostsFile,
        strictHostKeyChecking: 'yes',
        sshOptions: { ConnectTimeout: '30' },
      }),
  );
  return { image: { kernel: status.guest.kernel, initrd: status.guest.initrd }, console: xenConsole(runners) };
}
