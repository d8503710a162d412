import type { Hypervisor } from './hypervisor.js';

/*
 * What a run needs from a host that shares no filesystem with virtmig: the guest's image put on
 * the host through the hypervisor's own API, and the guest's console read over the same
 * connection. Optional capabilities, so drivers without them still implement Hypervisor.
 */

/** One line of a guest's console, with the wall-clock time (ms since the epoch) it was read. */
export interface ConsoleLineRead {
  /** The line without its line ending. */
  readonly text: string;
  /** When the host-side reader got it. */
  readonly atMs: number;
}

/** A host whose guests' text consoles can be read over the connection (any URI). */
export interface ConsoleCapable {
  /**
   * The console of the running domain `name`, line by line as it arrives; the iterable ends when
   * the console closes (the guest stopped or migrated away). Breaking out of the loop, or
   * `signal`, lets go of the console.
   * @throws {@link NotFoundError} `E_NOT_FOUND` when there is no such domain.
   * @throws {@link StateError} `E_STATE` when it is not running or has no console to read.
   */
  openConsole(name: string, options?: { readonly signal?: AbortSignal }): Promise<AsyncIterable<ConsoleLineRead>>;
}

/** Where a host keeps uploaded images: a storage pool of its own. */
export interface ImageStoreOptions {
  /** The pool's name (default `virtmig-images`). */
  readonly pool?: string;
  /** The pool's directory on the host when it has to be made (default `/var/lib/libvirt/images/virtmig`). */
  readonly path?: string;
  /** Stops an upload; nothing half-written stays. */
  readonly signal?: AbortSignal;
}

/** An image file as the host has it. */
export interface StoredImage {
  /** Its path on the host, for a domain's kernel, initrd or disk. */
  readonly path: string;
  /** The file's SHA-256 (hex), which names it on the host. */
  readonly sha256: string;
  /** True when this call sent it; false when the host already had it complete. */
  readonly uploaded: boolean;
}

/** A host that images can be put on through the hypervisor's API. */
export interface ImageStoreCapable {
  /**
   * Puts the local file `file` on the host, sent only when the host does not already hold it
   * (named by content); an interrupted upload is never used.
   * @throws {@link InvalidArgumentError} `E_INVALID_ARGUMENT` when `file` is not an absolute path to a regular file.
   * @throws {@link AbortedError} `E_ABORTED` when `options.signal` aborts it.
   */
  ensureImage(file: string, options?: ImageStoreOptions): Promise<StoredImage>;
  /** Removes every image {@link ensureImage} put in the pool; returns how many. */
  removeImages(options?: Omit<ImageStoreOptions, 'signal'>): Promise<number>;
}

/** Narrowing helper: can this hypervisor's consoles be read over its connection? */
export function isConsoleCapable(h: Hypervisor): h is Hypervisor & ConsoleCapable {
  return typeof (h as Partial<ConsoleCapable>).openConsole === 'function';
}

/** Narrowing helper: can images be put on this hypervisor's host through it? */
export function isImageStoreCapable(h: Hypervisor): h is Hypervisor & ImageStoreCapable {
  return typeof (h as Partial<ImageStoreCapable>).ensureImage === 'function';
}
