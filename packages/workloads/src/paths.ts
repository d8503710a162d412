import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository's native/ directory (this file lives in packages/workloads/dist/src). */
export const DEFAULT_NATIVE_DIR = resolve(dirname(fileURLToPath(import.meta.url)), '../../../../native');

/** Where `make -C native/workloads` puts the binaries. */
export const DEFAULT_BIN_DIR = join(DEFAULT_NATIVE_DIR, 'build', 'bin');
