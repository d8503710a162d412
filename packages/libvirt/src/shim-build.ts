import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, renameSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';

/** The shim's file name, wherever it lives. */
export const SHIM_FILE = 'libvirtmig-shim.so';

/** The C sources of the shim (shim.c is generated from libvirt's API description). */
export const SHIM_SOURCES = ['shim.c', 'support.c', 'events.c'] as const;

/** What {@link buildShim} did. */
export type ShimBuild =
  | {
      /** `built`: the shim was compiled. */
      readonly status: 'built';
      /** Path of the built shim. */
      readonly path: string;
    }
  | ShimBuildFailure;

/** Why a build failed and what to install or run. */
export interface ShimBuildFailure {
  /** `failed`: no shim was built. */
  readonly status: 'failed';
  /** Why the build failed. */
  readonly reason: string;
  /** What to install or run. */
  readonly fix: string;
}

const HEADERS_FIX = 'apt-get install libvirt-dev pkg-config (libvirt headers), then run again';
const COMPILER_FIX = 'apt-get install build-essential (a C compiler), or set CC, then run again';

// pkg-config knows non-standard prefixes; without it the default include path and -lvirt are tried.
function libvirtFlags(): { cflags: string[]; libs: string[] } {
  try {
    const out = (args: string[]): string[] =>
      execFileSync('pkg-config', args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] })
        .trim()
        .split(/\s+/)
        .filter((f) => f.length > 0);
    return { cflags: out(['--cflags', 'libvirt']), libs: out(['--libs', 'libvirt']) };
  } catch {
    return { cflags: [], libs: ['-lvirt'] };
  }
}

/**
 * Compiles the shim from `sourceDir` into `out` (atomically: a half-written library is never
 * loaded by a concurrent process). Links against libvirt.so.0 and libc only, with lazy binding, so
 * a function missing from an older libvirt fails only if called. Never throws.
 */
export function buildShim(sourceDir: string, out: string): ShimBuild {
  const sources = SHIM_SOURCES.map((s) => join(sourceDir, s));
  const absent = sources.filter((s) => !existsSync(s));
  if (absent.length > 0) {
    return {
      status: 'failed',
      reason: `the shim's C sources are missing (${absent.join(', ')})`,
      fix: 'reinstall @virtmig/libvirt (its tarball ships native/), or run `npm run build` in a virtmig checkout',
    };
  }
  try {
    mkdirSync(dirname(out), { recursive: true });
  } catch (e) {
    return {
      status: 'failed',
      reason: `cannot create ${dirname(out)}: ${(e as Error).message}`,
      fix: 'build it where you can write and set VIRTMIG_LIBVIRT_SHIM',
    };
  }
  const cc = process.env.CC && process.env.CC.length > 0 ? process.env.CC : 'cc';
  const { cflags, libs } = libvirtFlags();
  const tmp = `${out}.${process.pid}.tmp`;
  const args = ['-O2', '-fPIC', '-shared', '-Wl,-z,lazy', '-Wl,--as-needed', ...cflags, '-o', tmp, ...sources, ...libs];
  try {
    execFileSync(cc, args, { stdio: ['ignore', 'ignore', 'pipe'], encoding: 'utf8' });
  } catch (e) {
    rmSync(tmp, { force: true });
    const err = e as NodeJS.ErrnoException & { stderr?: string };
    if (err.code === 'ENOENT')
      return { status: 'failed', reason: `no C compiler (${cc} not found)`, fix: COMPILER_FIX };
    const stderr = String(err.stderr ?? '');
    if (/libvirt\/libvirt\.h|cannot find -lvirt/.test(stderr)) {
      return {
        status: 'failed',
        reason: 'the libvirt headers or libvirt.so are missing (libvirt-dev)',
        fix: HEADERS_FIX,
      };
    }
    const tail = stderr.trim().split('\n').slice(-3).join(' | ');
    return { status: 'failed', reason: `${cc} failed: ${tail}`, fix: HEADERS_FIX };
  }
  renameSync(tmp, out);
  return { status: 'built', path: out };
}
