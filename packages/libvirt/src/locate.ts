import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Environment variable naming the error-capturing shim library explicitly. */
export const SHIM_ENV = 'VIRTMIG_LIBVIRT_SHIM';

/** Finds native/build/lib/libvirtmig-shim.so: `$VIRTMIG_LIBVIRT_SHIM`, else walking up from this package. */
export function locateShim(): string | undefined {
  const fromEnv = process.env[SHIM_ENV];
  if (fromEnv) return existsSync(fromEnv) ? fromEnv : undefined;
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 8; i++) {
    const candidate = join(dir, 'native', 'build', 'lib', 'libvirtmig-shim.so');
    if (existsSync(candidate)) return candidate;
    const parent = dirname(dir);
    if (parent === dir) break;
    dir = parent;
  }
  return undefined;
}
