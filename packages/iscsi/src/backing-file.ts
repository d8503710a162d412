import { NotFoundError } from '@virtmig/core';
import { CommandFailedError } from './errors.js';
import type { CommandRunner } from './runner.js';

/**
 * Makes sure `path` exists on the runner's host. When it is missing it is created sparse with
 * `truncate -s` and `true` is returned, so the caller knows it owns the file; an existing file
 * is left as it is. Throws `NotFoundError` when the file is missing and no size was given.
 */
export async function ensureBackingFile(runner: CommandRunner, path: string, sizeBytes?: number): Promise<boolean> {
  try {
    await runner.run('stat', ['-c', '%s', '--', path]);
    return false;
  } catch (e) {
    if (!(e instanceof CommandFailedError) || e.exitCode !== 1) throw e;
  }
  if (sizeBytes === undefined) {
    throw new NotFoundError(
      'backing file',
      path,
      `backing file ${path} does not exist and no size was given to create it`,
    );
  }
  await runner.run('truncate', ['-s', String(sizeBytes), '--', path]);
  return true;
}

/** Removes files this package created; a file already gone is not an error. */
export async function removeFiles(runner: CommandRunner, paths: readonly string[]): Promise<void> {
  if (paths.length > 0) await runner.run('rm', ['-f', '--', ...paths]);
}
