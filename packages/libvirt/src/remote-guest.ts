import { type ConsoleLineRead, type ImageStoreOptions, StateError, type StoredImage } from '@virtmig/core';
import type { Connection } from './connection.js';
import { consoleLines, openConsole } from './console.js';
import { ensureImageVolume, removeImageVolumes, StoragePool } from './storage.js';

/** The pool uploaded images go to unless the caller names another. */
export const DEFAULT_IMAGE_POOL: {
  /** The pool's name. */
  readonly name: string;
  /** Its directory on the host. */
  readonly path: string;
} = { name: 'virtmig-images', path: '/var/lib/libvirt/images/virtmig' };

/**
 * The console of the running domain `name` as lines (core's `ConsoleCapable` for every libvirt
 * driver): a stream over `connection`, freed when the reader stops or `signal` aborts.
 * @throws {@link @virtmig/core!NotFoundError} `E_NOT_FOUND` when there is no such domain.
 * @throws {@link @virtmig/core!StateError} `E_STATE` when libvirt cannot open its console (not running, no pty console).
 */
export async function domainConsole(
  connection: Connection,
  name: string,
  signal?: AbortSignal,
): Promise<AsyncIterable<ConsoleLineRead>> {
  const domain = await connection.lookupDomain(name);
  try {
    const stream = await openConsole(connection, domain, signal ? { signal } : {}).catch((e: unknown) => {
      if ((e as { code?: string }).code === 'E_LIBVIRT')
        throw new StateError(`cannot open the console of ${name}: ${(e as Error).message}`, { domain: name });
      throw e;
    });
    return consoleLines(stream);
  } finally {
    domain.free();
  }
}

async function pool(connection: Connection, options: Omit<ImageStoreOptions, 'signal'>): Promise<StoragePool> {
  return StoragePool.ensureDirectory(
    connection,
    options.pool ?? DEFAULT_IMAGE_POOL.name,
    options.path ?? DEFAULT_IMAGE_POOL.path,
  );
}

/**
 * Core's `ImageStoreCapable.ensureImage` for libvirt hosts: {@link ensureImageVolume} in the
 * named directory pool (made when missing).
 * @throws {@link @virtmig/core!InvalidArgumentError} `E_INVALID_ARGUMENT` for a bad file, pool name or path.
 * @throws {@link @virtmig/core!AbortedError} `E_ABORTED` when `options.signal` aborts it.
 * @throws {@link LibvirtError} when libvirt fails.
 */
export async function ensureHostImage(
  connection: Connection,
  file: string,
  options: ImageStoreOptions = {},
): Promise<StoredImage> {
  const p = await pool(connection, options);
  try {
    const v = await ensureImageVolume(p, file, options.signal);
    return { path: v.path, sha256: v.sha256, uploaded: v.uploaded };
  } finally {
    p.free();
  }
}

/**
 * Core's `ImageStoreCapable.removeImages` for libvirt hosts.
 * @throws {@link LibvirtError} when libvirt fails.
 */
export async function removeHostImages(
  connection: Connection,
  options: Omit<ImageStoreOptions, 'signal'> = {},
): Promise<number> {
  const p = await pool(connection, options);
  try {
    return (await removeImageVolumes(p)).length;
  } finally {
    p.free();
  }
}
