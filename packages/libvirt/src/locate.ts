import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { VirtmigError } from '@virtmig/core';
import { buildShim, SHIM_FILE } from './shim-build.js';

/** Environment variable naming the error-capturing shim library explicitly. */
export const SHIM_ENV = 'VIRTMIG_LIBVIRT_SHIM';

/**
 * The package's own directory. This file is compiled to `<package>/dist/src/locate.js`, so the
 * package root is a fixed two levels up: never a search, so an unrelated checkout above an
 * installed package can never supply a shim built for another libvirt.
 */
const PACKAGE_DIR = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

/** Where the shim comes from: `BindingOptions.shimPath` or `$VIRTMIG_LIBVIRT_SHIM`, a copy built on this machine, or the tarball's prebuilt one. */
export type ShimOrigin = 'option' | 'env' | 'built' | 'built-on-first-use' | 'prebuilt';

/** The package-relative places the shim and its sources live in. */
export interface ShimPaths {
  /** Built on this machine (the monorepo's `npm run build`, or the first-use fallback). */
  readonly built: string;
  /** Shipped in the tarball for this platform, e.g. `prebuilds/linux-x64/libvirtmig-shim.so`. */
  readonly prebuilt: string;
  /** The C sources shipped in the tarball, for the fallback build. */
  readonly sourceDir: string;
}

/** The shim's package-relative paths for this platform and architecture. */
export function shimPaths(packageDir: string = PACKAGE_DIR): ShimPaths {
  return {
    built: join(packageDir, 'build', SHIM_FILE),
    prebuilt: join(packageDir, 'prebuilds', `${process.platform}-${process.arch}`, SHIM_FILE),
    sourceDir: join(packageDir, 'native'),
  };
}

/** The shim was found (and loaded), with why this copy was chosen. */
export interface ShimFound<L> {
  /** `found`: a shim is loaded. */
  readonly status: 'found';
  /** Path of the loaded shim. */
  readonly path: string;
  /** Why this copy was chosen. */
  readonly origin: ShimOrigin;
  /** The loaded library. */
  readonly lib: L;
}

/** No usable shim: what is missing and how to fix it. */
export interface ShimMissing {
  /** `missing`: no usable shim. */
  readonly status: 'missing';
  /** What is missing. */
  readonly reason: string;
  /** How to fix it (what to install or run). */
  readonly fix: string;
}

/** The outcome of {@link resolveShim}. */
export type ShimResolution<L> = ShimFound<L> | ShimMissing;

/** The shim is missing or cannot load: async calls cannot capture their errors without it. */
export class ShimMissingError extends VirtmigError {
  /** What is missing. */
  readonly reason: string;
  /** How to fix it (what to install or run). */
  readonly fix: string;
  constructor(problem: Omit<ShimMissing, 'status'>) {
    super(
      'E_FUNCTION_UNAVAILABLE',
      `the native libvirt shim is not available: ${problem.reason}. Fix: ${problem.fix}`,
      {
        reason: problem.reason,
        fix: problem.fix,
      },
    );
    this.reason = problem.reason;
    this.fix = problem.fix;
  }
}

const firstLine = (e: unknown): string => String((e as Error).message ?? e).split('\n')[0] ?? '';

/**
 * Finds and loads the shim with `open`, in this order: `$VIRTMIG_LIBVIRT_SHIM` (honoured alone);
 * `build/` in the package (built on this machine); `prebuilds/<platform>-<arch>/` when it loads
 * against this machine's libvirt; else it builds `build/` from the shipped C sources once.
 * Never throws: a missing shim only disables worker-thread calls.
 */
export function resolveShim<L>(open: (path: string) => L, paths: ShimPaths = shimPaths()): ShimResolution<L> {
  const fromEnv = process.env[SHIM_ENV];
  if (fromEnv) {
    if (!existsSync(fromEnv)) {
      return {
        status: 'missing',
        reason: `${SHIM_ENV} names ${fromEnv}, which does not exist`,
        fix: `point ${SHIM_ENV} at a built libvirtmig-shim.so, or unset it`,
      };
    }
    try {
      return { status: 'found', path: fromEnv, origin: 'env', lib: open(fromEnv) };
    } catch (e) {
      return {
        status: 'missing',
        reason: `${SHIM_ENV}=${fromEnv} does not load: ${firstLine(e)}`,
        fix: `unset ${SHIM_ENV}`,
      };
    }
  }
  let prebuiltProblem: string | undefined;
  if (existsSync(paths.built)) {
    try {
      return { status: 'found', path: paths.built, origin: 'built', lib: open(paths.built) };
    } catch (e) {
      prebuiltProblem = `${paths.built} does not load: ${firstLine(e)}`;
    }
  }
  if (existsSync(paths.prebuilt)) {
    try {
      return { status: 'found', path: paths.prebuilt, origin: 'prebuilt', lib: open(paths.prebuilt) };
    } catch (e) {
      prebuiltProblem = `the prebuilt ${paths.prebuilt} does not load: ${firstLine(e)}`;
    }
  } else {
    prebuiltProblem ??= `no prebuilt shim for ${process.platform}-${process.arch}`;
  }
  const built = buildShim(paths.sourceDir, paths.built);
  if (built.status === 'failed') {
    return { status: 'missing', reason: `${prebuiltProblem}; building it failed: ${built.reason}`, fix: built.fix };
  }
  try {
    return { status: 'found', path: paths.built, origin: 'built-on-first-use', lib: open(paths.built) };
  } catch (e) {
    return {
      status: 'missing',
      reason: `${prebuiltProblem}; the shim built from source does not load: ${firstLine(e)}`,
      fix: 'install libvirt0 (libvirt.so.0) matching the libvirt-dev headers',
    };
  }
}
