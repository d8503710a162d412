// Shared by the QEMU driver / CLI integration tests: one lab (prefix vmqtest, or
// $VIRTMIG_TEST_LAB_PREFIX so that two checkouts can run their lab tests side by side) that the
// first test file brings up and zz-lab-down.test.mjs takes down and checks.
import { execFile } from 'node:child_process';
import { readdir, readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { QemuHypervisor } from '@virtmig/driver-qemu';
import { labProcesses } from '../processes.mjs';

const run = promisify(execFile);

export const prefix = process.env.VIRTMIG_TEST_LAB_PREFIX ?? 'vmqtest';
export const repoRoot = fileURLToPath(new URL('../..', import.meta.url));
const bin = `${repoRoot}packages/cli/dist/src/bin.js`;

/** Runs the real `virtmig` binary; resolves with its exit code and streams (never rejects). */
export async function virtmig(...args) {
  try {
    const { stdout, stderr } = await run(process.execPath, [bin, ...args], { timeout: 300_000, maxBuffer: 8 << 20 });
    return { code: 0, stdout, stderr };
  } catch (e) {
    return { code: typeof e.code === 'number' ? e.code : -1, stdout: e.stdout ?? '', stderr: e.stderr ?? String(e) };
  }
}

/** Same as {@link virtmig} but throws unless the exit code is 0; returns parsed JSON when `--json` is given. */
export async function virtmigOk(...args) {
  const r = await virtmig(...args);
  if (r.code !== 0) throw new Error(`virtmig ${args.join(' ')} exited ${r.code}: ${r.stderr.trim()}`);
  return args.includes('--json') ? JSON.parse(r.stdout) : r.stdout;
}

let labUp;
/** Brings the test lab up once per process (idempotent) and resolves to its status. */
export function ensureLab() {
  labUp ??= virtmigOk('lab', 'up', '--prefix', prefix, '--json');
  return labUp;
}

/** Opens both lab hosts with the lab's domain type; guests have no balloon driver. */
export async function openHosts(status) {
  const o = { domainType: status.domainType, memoryBalloon: false };
  return Promise.all(status.hosts.map((h) => QemuHypervisor.open(h.uri, o)));
}

/** Starts a lab guest through the CLI and waits for its first heartbeat. */
export async function startGuest(name, on, ...extra) {
  return virtmigOk('guest', 'start', name, '--on', on, '--prefix', prefix, '--json', ...extra);
}

/** Removes a guest from every lab host (no error when absent). */
export async function stopGuest(name) {
  await virtmig('guest', 'stop', name, '--prefix', prefix);
}

/**
 * Registers mocha hooks that bring the lab up and open both hosts before the suite, and stop
 * its guests and close the hosts after it. Returns the live state: `status`, `a`, `b` (set once
 * the hook ran) and `guest(on, ...extra)`, which starts a 128 MiB guest named `TAG<n>-<pid>`.
 */
export function labPair(tag) {
  const pair = { status: undefined, a: undefined, b: undefined };
  const guests = [];
  before(async () => {
    pair.status = await ensureLab();
    [pair.a, pair.b] = await openHosts(pair.status);
  });
  after(async () => {
    for (const g of guests) await stopGuest(g);
    await pair.a?.close();
    await pair.b?.close();
  });
  pair.guest = async (on, ...extra) => {
    const name = `${tag}${guests.length}-${process.pid % 10000}`;
    guests.push(name);
    await startGuest(name, on, '--memory', '128', ...extra);
    return name;
  };
  return pair;
}

/** Rejects unless `fn` rejects with a VirtmigError whose code is `code`; resolves to the error. */
export async function rejectsWith(fn, code) {
  try {
    await fn();
  } catch (e) {
    if (e?.code !== code) throw new Error(`expected ${code}, got ${e?.code}: ${e?.message}`);
    return e;
  }
  throw new Error(`expected ${code}, but it resolved`);
}

/** Everything a lab could leave behind; every list is empty after a clean `lab down`. */
export async function labLeftovers(labPrefix, stateDir) {
  const cgroups = (
    await run('find', ['/sys/fs/cgroup', '-maxdepth', '3', '-type', 'd', '-name', `virtmig-${labPrefix}-*`])
  ).stdout
    .split('\n')
    .filter(Boolean);
  const mounts = (await readFile('/proc/self/mountinfo', 'utf8'))
    .split('\n')
    .filter((l) => l.includes(stateDir) || l.includes(`/run/netns/${labPrefix}-`));
  const netns = (await run('ip', ['netns', 'list'])).stdout.split('\n').filter((l) => l.startsWith(`${labPrefix}-`));
  const links = (await run('ip', ['-o', 'link', 'show'])).stdout.split('\n').filter((l) => l.includes(`${labPrefix}-`));
  let stateDirExists = true;
  await readdir(stateDir).catch(() => {
    stateDirExists = false;
  });
  return {
    processes: await labProcesses(labPrefix, stateDir),
    cgroups,
    mounts,
    netns,
    links,
    stateDir: stateDirExists ? [stateDir] : [],
  };
}
