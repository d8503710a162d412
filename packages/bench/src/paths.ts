import { fileURLToPath } from 'node:url';

/** The repository root (this module runs as packages/bench/dist/src/paths.js). */
export const REPO_ROOT = fileURLToPath(new URL('../../../../', import.meta.url));

/** An absolute path inside the repository. */
export function repoPath(relative: string): string {
  return REPO_ROOT + relative;
}
