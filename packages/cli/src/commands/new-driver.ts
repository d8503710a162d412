import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { basename, dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DriverRegistry, InvalidArgumentError, NotFoundError } from '@virtmig/core';
import type { Command } from 'commander';
import type { Output } from '../output.js';
import { type DriverNames, driverPackageFiles, type VirtmigRanges } from './new-driver-files.js';

/** Options of {@link newDriver}. */
export interface NewDriverOptions {
  /** The driver's name: lower-case letters and digits, words joined by `-` (e.g. `bhyve`, `cloud-hypervisor`). */
  readonly name: string;
  /** The URI scheme, when it differs from the name (e.g. `ch`); lower-case letters and digits. */
  readonly scheme?: string;
  /** Where the package goes (default `./virtmig-driver-NAME`); must not exist, or be an empty directory. */
  readonly dir?: string;
  /** `@virtmig/*` version ranges; default: caret ranges of the `@virtmig/*` versions installed with this CLI. */
  readonly versions?: VirtmigRanges;
}

/** What {@link newDriver} wrote. */
export interface NewDriverResult {
  /** The package's directory, absolute. */
  readonly dir: string;
  /** The files written, relative to `dir`, sorted. */
  readonly files: readonly string[];
}

const NAME = /^[a-z][a-z0-9]*(-[a-z0-9]+)*$/;
const MAX_NAME = 40;

/** Throws `E_INVALID_ARGUMENT` unless `name` can name a package, a file and a TypeScript class. */
function assertDriverName(name: string): void {
  if (!NAME.test(name) || name.length > MAX_NAME) {
    throw new InvalidArgumentError(
      'NAME',
      `must be lower-case letters and digits, words joined by "-", at most ${MAX_NAME} characters (e.g. bhyve), got ${JSON.stringify(name)}`,
    );
  }
}

/** Throws `E_INVALID_ARGUMENT` (field `--scheme`) unless the driver registry takes `scheme`. */
function assertScheme(scheme: string): void {
  try {
    // The registry owns what a scheme may be; asking it keeps one definition.
    new DriverRegistry().register(scheme, async () => {
      throw new InvalidArgumentError('--scheme', 'never connected');
    });
  } catch (e) {
    throw new InvalidArgumentError(
      '--scheme',
      `must be lower-case letters and digits, starting with a letter (e.g. bhyve), got ${JSON.stringify(scheme)}${e instanceof InvalidArgumentError ? '' : `: ${String(e)}`}`,
    );
  }
}

/** Throws `E_INVALID_ARGUMENT` (field `--dir`) unless `dir` is absent or an empty directory whose parent exists. */
async function assertWritableTarget(dir: string): Promise<void> {
  const parent = await stat(dirname(dir)).catch(() => undefined);
  if (!parent?.isDirectory()) throw new InvalidArgumentError('--dir', `${dirname(dir)} is not a directory`);
  const here = await stat(dir).catch(() => undefined);
  if (here === undefined) return;
  if (!here.isDirectory()) throw new InvalidArgumentError('--dir', `${dir} exists and is not a directory`);
  if ((await readdir(dir)).length > 0) throw new InvalidArgumentError('--dir', `${dir} is not empty`);
}

/**
 * Writes `files` (relative path -> content) as directory `dir`, all or nothing: into a temporary
 * directory beside it, renamed onto `dir` at the end (an empty `dir` is replaced). On any failure
 * the temporary directory goes and `dir` is as it was.
 *
 * @throws the file system's error (e.g. `ENOTEMPTY` when `dir` filled up meanwhile).
 */
export async function writeTreeAtomically(dir: string, files: Readonly<Record<string, string>>): Promise<void> {
  const temp = await mkdtemp(join(dirname(dir), `.${basename(dir)}.tmp-`));
  try {
    for (const [rel, content] of Object.entries(files)) {
      const target = join(temp, rel);
      await mkdir(dirname(target), { recursive: true });
      await writeFile(target, content, { flag: 'wx' });
    }
    await rename(temp, dir);
  } catch (e) {
    await rm(temp, { recursive: true, force: true });
    throw e;
  }
}

const requireHere = createRequire(import.meta.url);

/** An installed package found from a file inside it: its directory and version. */
interface InstalledPackage {
  readonly dir: string;
  readonly version: string;
}

/** The package named `name` that file `inside` belongs to; throws `E_NOT_FOUND` for a broken install. */
async function installedPackage(inside: string, name: string): Promise<InstalledPackage> {
  for (let dir = dirname(inside); dir !== dirname(dir); dir = dirname(dir)) {
    const manifest = join(dir, 'package.json');
    if (!existsSync(manifest)) continue;
    const m = JSON.parse(await readFile(manifest, 'utf8')) as { name?: unknown; version?: unknown };
    if (m.name === name && typeof m.version === 'string') return { dir, version: m.version };
  }
  throw new NotFoundError('package', name, `no package.json of ${name} above ${inside}`);
}

/**
 * Caret ranges of the `@virtmig/*` versions installed with this CLI: `@virtmig/core` (its own
 * dependency), `@virtmig/libvirt` (as `@virtmig/driver-test` resolves it) and `@virtmig/testing`
 * (a devDependency, so where installed; else this CLI's own version, as every `@virtmig` package
 * is released together at one version).
 *
 * @throws `E_NOT_FOUND` when an installed package's package.json cannot be found (a broken install).
 */
export async function installedVirtmigRanges(): Promise<VirtmigRanges> {
  const cli = await installedPackage(fileURLToPath(import.meta.url), '@virtmig/cli');
  const core = await installedPackage(requireHere.resolve('@virtmig/core'), '@virtmig/core');
  const testDriver = await installedPackage(requireHere.resolve('@virtmig/driver-test'), '@virtmig/driver-test');
  const fromTestDriver = createRequire(join(testDriver.dir, 'package.json'));
  const libvirt = await installedPackage(fromTestDriver.resolve('@virtmig/libvirt'), '@virtmig/libvirt');
  let testing: string;
  try {
    testing = (await installedPackage(requireHere.resolve('@virtmig/testing'), '@virtmig/testing')).version;
  } catch {
    testing = cli.version;
  }
  return {
    '@virtmig/core': `^${core.version}`,
    '@virtmig/libvirt': `^${libvirt.version}`,
    '@virtmig/testing': `^${testing}`,
  };
}

/**
 * Generates a standalone driver package (see `driverPackageFiles`): checks every input first,
 * then writes the whole package at once.
 *
 * @throws `E_INVALID_ARGUMENT` for a bad name or scheme, or a `dir` that is a file, a non-empty
 *   directory or has no parent directory; nothing is written then.
 * @throws the file system's error when writing fails; nothing is left behind then.
 */
export async function newDriver(options: NewDriverOptions): Promise<NewDriverResult> {
  assertDriverName(options.name);
  const scheme = options.scheme ?? options.name;
  try {
    assertScheme(scheme);
  } catch (e) {
    if (options.scheme !== undefined) throw e;
    throw new InvalidArgumentError(
      '--scheme',
      `required, as NAME ${JSON.stringify(options.name)} cannot be a URI scheme (lower-case letters and digits, e.g. --scheme ch)`,
    );
  }
  const dir = resolve(options.dir ?? `virtmig-driver-${options.name}`);
  await assertWritableTarget(dir);
  const names: DriverNames = { name: options.name, scheme };
  const files = driverPackageFiles(names, options.versions ?? (await installedVirtmigRanges()));
  await writeTreeAtomically(dir, files);
  return { dir, files: Object.keys(files).sort() };
}

/** Adds `virtmig new-driver NAME [--dir D] [--scheme S]`. */
export function addNewDriverCommand(program: Command, makeOutput: (json: boolean) => Output): void {
  program
    .command('new-driver')
    .description('write a standalone driver package (a LibvirtHypervisor subclass with conformance tests)')
    .argument('<name>', 'driver name, e.g. bhyve or cloud-hypervisor')
    .option('--dir <dir>', 'where to write it (default ./virtmig-driver-NAME; must be absent or empty)')
    .option('--scheme <scheme>', 'URI scheme, when it differs from the name (e.g. ch)')
    .option('--json', 'print JSON')
    .action(async (name: string, opts: { dir?: string; scheme?: string; json?: boolean }) => {
      const out = makeOutput(Boolean(opts.json));
      const result = await newDriver({
        name,
        ...(opts.scheme !== undefined ? { scheme: opts.scheme } : {}),
        ...(opts.dir !== undefined ? { dir: opts.dir } : {}),
      });
      out.data(result, () =>
        [
          `created ${result.dir}`,
          'next:',
          `  cd ${result.dir} && npm install && npm test`,
          '  then follow README.md to point the scheme at your hypervisor',
        ].join('\n'),
      );
    });
}
