import { execFile } from 'node:child_process';
import { access, constants, readFile } from 'node:fs/promises';
import { promisify } from 'node:util';
import { libvirtRuntime, type ShimOrigin } from '@virtmig/driver-test';

const run = promisify(execFile);

const SHIM_ORIGINS: Record<ShimOrigin, string> = {
  option: 'passed explicitly',
  env: 'from $VIRTMIG_LIBVIRT_SHIM',
  built: 'built on this machine',
  'built-on-first-use': 'built from source on first use: the prebuilt one did not load or is not for this platform',
  prebuilt: 'prebuilt, shipped in @virtmig/libvirt',
};

/** One check of `virtmig doctor`. */
export interface Check {
  /** What is checked, e.g. `libvirt`. */
  readonly name: string;
  /** Whether the check passed. */
  readonly ok: boolean;
  /** What was found, or what is missing. */
  readonly detail: string;
  /** How to get it, when missing. */
  readonly fix?: string;
  /** Needed for the core SDK (true) or only for some features (false). */
  readonly required: boolean;
}

async function which(cmd: string): Promise<string | null> {
  for (const dir of (process.env.PATH ?? '/usr/sbin:/usr/bin:/sbin:/bin').split(':')) {
    try {
      await access(`${dir}/${cmd}`, constants.X_OK);
      return `${dir}/${cmd}`;
    } catch {
      // keep looking
    }
  }
  return null;
}

async function versionOf(cmd: string, args: string[]): Promise<string> {
  try {
    const { stdout, stderr } = await run(cmd, args, { timeout: 5000 });
    return (stdout || stderr).split('\n')[0]?.trim() ?? '';
  } catch {
    return 'present';
  }
}

async function tool(name: string, cmd: string, args: string[], pkg: string, required: boolean): Promise<Check> {
  const path = await which(cmd);
  return path
    ? { name, ok: true, detail: `${path}: ${await versionOf(path, args)}`, required }
    : { name, ok: false, detail: `${cmd} not found`, fix: `apt-get install ${pkg} (or run scripts/setup)`, required };
}

/** Checks libvirt, the shim, QEMU, tgt, libiscsi, cgroups and KVM; says what is missing and how to get it. */
export async function runDoctor(): Promise<Check[]> {
  const checks: Check[] = [];
  let shim: Check = {
    name: 'libvirt shim',
    ok: false,
    detail: 'not checked: the libvirt library did not load',
    required: true,
  };
  try {
    const rt = libvirtRuntime();
    shim = rt.shim
      ? {
          name: 'libvirt shim',
          ok: true,
          detail: `${rt.shim} (${SHIM_ORIGINS[rt.shimOrigin ?? 'built']})`,
          required: true,
        }
      : {
          name: 'libvirt shim',
          ok: false,
          detail: `missing: ${rt.shimProblem?.reason ?? 'unknown'}`,
          fix: rt.shimProblem?.fix ?? 'reinstall @virtmig/libvirt',
          required: true,
        };
    checks.push({
      name: 'libvirt library',
      ok: true,
      detail: `libvirt ${rt.version} via ${rt.engine}`,
      required: true,
    });
  } catch (e) {
    checks.push({
      name: 'libvirt library',
      ok: false,
      detail: (e as Error).message,
      fix: 'apt-get install libvirt0',
      required: true,
    });
  }
  checks.push(shim);
  checks.push(
    await tool('libvirt daemon', 'libvirtd', ['--version'], 'libvirt-daemon libvirt-daemon-driver-qemu', false),
  );
  checks.push(await tool('QEMU', 'qemu-system-x86_64', ['--version'], 'qemu-system-x86', false));
  checks.push(await tool('tgt (iSCSI target)', 'tgtadm', ['--help'], 'tgt', false));
  checks.push(await tool('libiscsi tools', 'iscsi-ls', ['--help'], 'libiscsi-bin', false));
  checks.push(await tool('C compiler', 'cc', ['--version'], 'build-essential', false));
  try {
    const mounts = await readFile('/proc/mounts', 'utf8');
    const v1 = mounts.split('\n').filter((l) => / cgroup /.test(l)).length;
    const v2 = mounts.split('\n').some((l) => / cgroup2 /.test(l));
    checks.push({
      name: 'cgroups',
      ok: v1 > 0 || v2,
      detail: v2 ? 'cgroup v2 mounted' : `${v1} cgroup v1 controllers mounted`,
      fix: 'mount cgroups (needed for QEMU CPU caps)',
      required: false,
    });
  } catch (e) {
    checks.push({ name: 'cgroups', ok: false, detail: (e as Error).message, required: false });
  }
  try {
    await access('/dev/kvm', constants.R_OK | constants.W_OK);
    checks.push({ name: 'KVM', ok: true, detail: '/dev/kvm is accessible', required: false });
  } catch {
    checks.push({
      name: 'KVM',
      ok: false,
      detail: '/dev/kvm is not accessible: guests run under TCG (slower, still correct)',
      fix: 'enable virtualisation or run on a host with KVM',
      required: false,
    });
  }
  return checks;
}
