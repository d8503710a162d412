import { join } from 'node:path';
import { CommandFailedError } from './errors.js';
import { DEFAULT_NATIVE_DIR } from './paths.js';
import { runProcess } from './process.js';
import { WORKLOAD_NAMES } from './workloads.js';

/** Options of {@link buildWorkloads}. */
export interface BuildOptions {
  /** The repository's native/ directory. */
  readonly nativeDir?: string;
  /** The make program (default `make`). */
  readonly make?: string;
  /** Extra make arguments, e.g. `['CC=clang']`. */
  readonly makeArgs?: readonly string[];
  /** Aborts the build (the make process is killed). */
  readonly signal?: AbortSignal;
}

/** Paths of the built binaries, keyed by workload. */
export type BuiltWorkloads = Readonly<Record<(typeof WORKLOAD_NAMES)[number], string>>;

/**
 * Builds the static workload binaries (`make -C native/workloads`) and returns their paths.
 * Make only rebuilds what changed, so calling this before every run is cheap.
 * Throws {@link CommandFailedError} when make fails.
 */
export async function buildWorkloads(options: BuildOptions = {}): Promise<BuiltWorkloads> {
  const nativeDir = options.nativeDir ?? DEFAULT_NATIVE_DIR;
  const argv = [options.make ?? 'make', '-s', '-C', join(nativeDir, 'workloads'), ...(options.makeArgs ?? [])];
  const out = await runProcess(argv, { signal: options.signal });
  if (out.exitCode !== 0) throw new CommandFailedError('make', argv, out.exitCode, out.signal, out.stderr);
  const bin = join(nativeDir, 'build', 'bin');
  return Object.fromEntries(WORKLOAD_NAMES.map((n) => [n, join(bin, n)])) as BuiltWorkloads;
}
