import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { AbortedError, assertPath, escapeXml, InvalidArgumentError, isVirtmigError } from '@virtmig/core';
import type { LibvirtBinding } from './binding.js';
import type { Connection } from './connection.js';
import type { Pointer } from './engine.js';
import { NativeHandle } from './handle.js';
import { readStruct } from './memory.js';
import { LibvirtStream } from './stream.js';

/** virStorageVolInfo, decoded. */
export interface StorageVolumeInfo {
  /** virStorageVolType value (0 file, 1 block, ...). */
  readonly type: number;
  /** Logical size in bytes. */
  readonly capacityBytes: number;
  /** Bytes allocated on the host. */
  readonly allocationBytes: number;
}

const NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;

function assertName(name: unknown, field: string): asserts name is string {
  if (typeof name !== 'string' || !NAME.test(name) || name.includes('..'))
    throw new InvalidArgumentError(
      field,
      `must be 1-128 letters, digits, '.', '_' or '-', got ${JSON.stringify(name)}`,
    );
}

/** One storage volume (virStorageVolPtr). */
export class StorageVolume {
  private readonly handle: NativeHandle;

  constructor(
    /** The binding this volume's calls go through. */
    readonly binding: LibvirtBinding,
    pointer: Pointer,
  ) {
    this.handle = new NativeHandle(binding, pointer, 'virStorageVolFree', 'storage volume');
  }

  /**
   * The volume's name.
   * @throws {@link LibvirtError} when libvirt fails.
   */
  name(): string {
    return this.binding.call('virStorageVolGetName', this.handle.pointer) as string;
  }

  /**
   * The volume's path on its host (what a domain's `<kernel>` or disk `<source>` names).
   * @throws {@link LibvirtError} when libvirt fails.
   */
  async path(): Promise<string> {
    return (await this.handle.use((p) => this.binding.callAsync('virStorageVolGetPath', p))) as string;
  }

  /**
   * Type, capacity and allocation.
   * @throws {@link LibvirtError} when libvirt fails.
   */
  async info(): Promise<StorageVolumeInfo> {
    const buf = this.binding.engine.alloc(24);
    await this.handle.use((p) => this.binding.callAsync('virStorageVolGetInfo', p, buf));
    const s = readStruct(this.binding, buf, 'virStorageVolInfo');
    return { type: s.type as number, capacityBytes: Number(s.capacity), allocationBytes: Number(s.allocation) };
  }

  /**
   * Deletes the volume from its pool (virStorageVolDelete) and frees the handle.
   * @throws {@link LibvirtError} when libvirt fails.
   */
  async delete(): Promise<void> {
    try {
      await this.handle.use((p) => this.binding.callAsync('virStorageVolDelete', p, 0));
    } finally {
      this.free();
    }
  }

  /**
   * Writes `length` bytes from `source` into the volume from offset 0 (virStorageVolUpload on a
   * stream, one chunk in flight at a time). On any failure, or an abort by `signal`, the stream is
   * aborted and the error rethrown: the volume's content is then incomplete, and the caller
   * decides what to do with it ({@link ensureImageVolume} deletes it).
   * @throws {@link @virtmig/core!InvalidArgumentError} `E_INVALID_ARGUMENT` when `source` gives more or fewer than `length` bytes.
   * @throws {@link @virtmig/core!AbortedError} `E_ABORTED` when `signal` aborts it.
   * @throws {@link LibvirtError} when libvirt fails (the pool refuses, the connection drops).
   */
  async upload(
    connection: Connection,
    source: AsyncIterable<Uint8Array>,
    length: number,
    signal?: AbortSignal,
  ): Promise<void> {
    const stopIfAborted = (): void => {
      if (signal?.aborted) throw new AbortedError(`upload of ${this.name()}`);
    };
    stopIfAborted();
    const stream = LibvirtStream.outgoing(connection);
    try {
      await this.handle.use((p) =>
        stream.use((st) => this.binding.callAsync('virStorageVolUpload', p, st, 0, length, 0)),
      );
      let sent = 0;
      for await (const chunk of source) {
        stopIfAborted();
        if (sent + chunk.byteLength > length)
          throw new InvalidArgumentError('source', `gives more than the ${length} bytes announced`);
        await stream.send(chunk);
        sent += chunk.byteLength;
      }
      if (sent !== length) throw new InvalidArgumentError('source', `gave ${sent} of the ${length} bytes announced`);
      await stream.finish();
    } catch (e) {
      await stream.abort();
      throw e;
    }
  }

  /** Frees the handle (the volume stays). Idempotent. */
  free(): void {
    this.handle.free();
  }
}

/** One storage pool (virStoragePoolPtr). */
export class StoragePool {
  private readonly handle: NativeHandle;

  private constructor(
    /** The connection the pool belongs to. */
    readonly connection: Connection,
    pointer: Pointer,
  ) {
    this.handle = new NativeHandle(connection.binding, pointer, 'virStoragePoolFree', 'storage pool');
  }

  /**
   * The pool called `name`.
   * @throws {@link @virtmig/core!InvalidArgumentError} `E_INVALID_ARGUMENT` for a bad name.
   * @throws {@link LibvirtError} `E_NOT_FOUND` when there is none.
   */
  static async lookup(connection: Connection, name: string): Promise<StoragePool> {
    assertName(name, 'pool');
    const p = await connection.use((c) => connection.binding.callAsync('virStoragePoolLookupByName', c, name));
    return new StoragePool(connection, p as Pointer);
  }

  /**
   * The directory pool `name` at `path` on the connection's host, defined, built (the directory
   * created) and started when it is not there yet; an existing pool of that name is used as it is,
   * started if it was not running.
   * @throws {@link @virtmig/core!InvalidArgumentError} `E_INVALID_ARGUMENT` for a bad name or a relative path.
   * @throws {@link LibvirtError} when the host refuses (no permission, a path that is a file).
   */
  static async ensureDirectory(connection: Connection, name: string, path: string): Promise<StoragePool> {
    assertName(name, 'pool');
    assertPath(path, 'path');
    const b = connection.binding;
    let pool: StoragePool;
    try {
      pool = await StoragePool.lookup(connection, name);
    } catch (e) {
      if (!isVirtmigError(e, 'E_NOT_FOUND')) throw e;
      const xml = `<pool type='dir'><name>${escapeXml(name)}</name><target><path>${escapeXml(path)}</path></target></pool>`;
      const p = await connection.use((c) => b.callAsync('virStoragePoolDefineXML', c, xml, 0));
      pool = new StoragePool(connection, p as Pointer);
      try {
        await pool.handle.use((pp) => b.callAsync('virStoragePoolBuild', pp, 0));
      } catch (buildError) {
        // A definition whose directory cannot be made is of no use: leave the host as it was.
        await pool.handle.use((pp) => b.callAsync('virStoragePoolUndefine', pp)).catch(() => {});
        pool.free();
        throw buildError;
      }
    }
    const active = (await pool.handle.use((pp) => b.callAsync('virStoragePoolIsActive', pp))) as number;
    if (active !== 1) await pool.handle.use((pp) => b.callAsync('virStoragePoolCreate', pp, 0));
    return pool;
  }

  /**
   * The volume called `name`, or undefined when the pool has none.
   * @throws {@link @virtmig/core!InvalidArgumentError} `E_INVALID_ARGUMENT` for a bad name.
   * @throws {@link LibvirtError} when libvirt fails otherwise.
   */
  async volume(name: string): Promise<StorageVolume | undefined> {
    assertName(name, 'volume');
    const b = this.connection.binding;
    try {
      return new StorageVolume(
        b,
        (await this.handle.use((p) => b.callAsync('virStorageVolLookupByName', p, name))) as Pointer,
      );
    } catch (e) {
      if (isVirtmigError(e, 'E_NOT_FOUND')) return undefined;
      throw e;
    }
  }

  /**
   * Creates a raw volume of `capacityBytes` (virStorageVolCreateXML).
   * @throws {@link @virtmig/core!InvalidArgumentError} `E_INVALID_ARGUMENT` for a bad name or size.
   * @throws {@link LibvirtError} when libvirt fails (a volume of that name exists, no space).
   */
  async createVolume(name: string, capacityBytes: number): Promise<StorageVolume> {
    assertName(name, 'volume');
    if (!Number.isSafeInteger(capacityBytes) || capacityBytes < 0)
      throw new InvalidArgumentError('capacityBytes', `must be an integer >= 0, got ${JSON.stringify(capacityBytes)}`);
    const xml = `<volume><name>${escapeXml(name)}</name><capacity unit='bytes'>${capacityBytes}</capacity><target><format type='raw'/></target></volume>`;
    const b = this.connection.binding;
    return new StorageVolume(
      b,
      (await this.handle.use((p) => b.callAsync('virStorageVolCreateXML', p, xml, 0))) as Pointer,
    );
  }

  /**
   * Every volume of the pool.
   * @throws {@link LibvirtError} when libvirt fails.
   */
  async volumes(): Promise<StorageVolume[]> {
    const b = this.connection.binding;
    await this.handle.use((p) => b.callAsync('virStoragePoolRefresh', p, 0));
    const out = b.engine.alloc(8);
    const n = (await this.handle.use((p) => b.callAsync('virStoragePoolListAllVolumes', p, out, 0))) as number;
    const arr = b.readPointer(out, 0, 'virStorageVolPtr *', n);
    try {
      const vols: StorageVolume[] = [];
      for (let i = 0; i < n; i++) vols.push(new StorageVolume(b, b.readPointer(arr, i * 8, 'virStorageVolPtr')));
      return vols;
    } finally {
      b.free(arr);
    }
  }

  /** Frees the handle (the pool stays). Idempotent. */
  free(): void {
    this.handle.free();
  }
}

/** What {@link ensureImageVolume} did. */
export interface ImageVolume {
  /** The volume's name: `virtmig-<first 16 hex digits of the file's SHA-256>-<file name>`. */
  readonly name: string;
  /** Its path on the host, for a domain's `<kernel>`, `<initrd>` or disk. */
  readonly path: string;
  /** The file's SHA-256, hex. */
  readonly sha256: string;
  /** True when this call sent it; false when the host already had it, complete. */
  readonly uploaded: boolean;
}

const IMAGE_PREFIX = 'virtmig-';
const COMPLETE = '.complete';

async function sha256Of(file: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(file)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

/**
 * Makes sure the host behind `pool` holds `file` as a volume named by its content hash, sending
 * it through libvirt (virStorageVolUpload) only when the host does not have it yet, so each image
 * crosses the wire once per host and is reused by every later trial. A marker volume
 * (`NAME.complete`) is created only after the whole file arrived: a volume without its marker is
 * an interrupted upload, which is deleted and sent again, so a guest never boots a truncated image.
 * @throws {@link @virtmig/core!InvalidArgumentError} `E_INVALID_ARGUMENT` for a path that is not an absolute file path.
 * @throws {@link @virtmig/core!AbortedError} `E_ABORTED` when `signal` aborts it (nothing half-written stays).
 * @throws {@link LibvirtError} when libvirt fails (the volume is then removed again).
 */
export async function ensureImageVolume(pool: StoragePool, file: string, signal?: AbortSignal): Promise<ImageVolume> {
  assertPath(file, 'file');
  const { size, isFile } = await stat(file).then((s) => ({ size: s.size, isFile: s.isFile() }));
  if (!isFile) throw new InvalidArgumentError('file', `${file} is not a regular file`);
  const sha256 = await sha256Of(file);
  const base = (file.split('/').at(-1) ?? 'image').replace(/[^A-Za-z0-9._-]/g, '_').slice(0, 80);
  const name = `${IMAGE_PREFIX}${sha256.slice(0, 16)}-${base}`;
  const marker = await pool.volume(`${name}${COMPLETE}`);
  const existing = await pool.volume(name);
  if (marker && existing && (await existing.info()).capacityBytes === size) {
    marker.free();
    const path = await existing.path();
    existing.free();
    return { name, path, sha256, uploaded: false };
  }
  marker?.free();
  if (existing) await existing.delete();
  const volume = await pool.createVolume(name, size);
  try {
    await volume.upload(pool.connection, createReadStream(file, { highWaterMark: 1 << 20 }), size, signal);
    (await pool.createVolume(`${name}${COMPLETE}`, 0)).free();
  } catch (e) {
    await volume.delete().catch(() => {});
    throw e;
  }
  const path = await volume.path();
  volume.free();
  return { name, path, sha256, uploaded: true };
}

/**
 * Deletes every image {@link ensureImageVolume} put in `pool` (and their markers); returns their
 * names. The explicit way to reclaim the space: trials never delete images.
 * @throws {@link LibvirtError} when libvirt fails.
 */
export async function removeImageVolumes(pool: StoragePool): Promise<string[]> {
  const removed: string[] = [];
  for (const v of await pool.volumes()) {
    const name = v.name();
    if (!name.startsWith(IMAGE_PREFIX)) {
      v.free();
      continue;
    }
    await v.delete();
    removed.push(name);
  }
  return removed.sort();
}
