import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { ParseError, StateError } from '@virtmig/core';
import { LabStorage } from '@virtmig/iscsi';
import { CommandFailedError } from '@virtmig/workloads';
import { repoPath } from './paths.js';
import type { HostPairSpec } from './spec-types.js';

interface LabStatus {
  state: string;
  prefix: string;
  stateDir: string;
  domainType?: string;
  hosts: { name: string; running: boolean; uri: string; address: string; netns?: string }[];
}

/** The running lab's `status --json`; throws `E_STATE` when the lab is not up. */
async function runningLab(labScript: string): Promise<LabStatus> {
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
  let status: LabStatus;
  try {
    status = JSON.parse(stdout) as LabStatus;
  } catch {
    throw new ParseError('lab status', 'not JSON');
  }
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
 * The shared disk of the running local lab (`LabStorage.forLab` over the same status JSON as
 * {@link labHostPairs}); it is not started here. Throws `E_STATE` when the lab is not up.
 */
export async function labStorage(labScript = repoPath('scripts/lab/lab')): Promise<LabStorage> {
  return LabStorage.forLab(await runningLab(labScript));
}
