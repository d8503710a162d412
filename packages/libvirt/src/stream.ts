import { AbortedError, StateError } from '@virtmig/core';
import type { LibvirtBinding } from './binding.js';
import type { Connection } from './connection.js';
import type { Pointer } from './engine.js';
import { LibvirtError } from './errors.js';
import { ENUMS } from './generated/enums.js';
import { NativeHandle } from './handle.js';

/** One piece of data read from a stream. */
export interface StreamChunk {
  /** The bytes. */
  readonly data: Buffer;
  /** Wall-clock time (ms since the epoch) the binding read them from libvirt. */
  readonly atMs: number;
}

/** Options of {@link LibvirtStream.incoming}. */
export interface IncomingStreamOptions {
  /**
   * Chunks held for a reader that does not keep up; past this the binding stops reading from
   * libvirt (which then stops reading from its peer) until the reader has taken half of them.
   * Default 64 (up to 1 MiB).
   */
  readonly highWaterChunks?: number;
  /** Aborts the stream: the iterator ends with `E_ABORTED`. */
  readonly signal?: AbortSignal;
}

const EVENTS = ENUMS.virStreamEventType;
const READ_EVENTS = EVENTS.VIR_STREAM_EVENT_READABLE | EVENTS.VIR_STREAM_EVENT_ERROR | EVENTS.VIR_STREAM_EVENT_HANGUP;

/**
 * A libvirt stream (virStreamPtr): the data channel of consoles, volume uploads and downloads.
 *
 * Incoming streams are non-blocking: libvirt's event loop thread reads what arrives into the
 * binding's queue (native/libvirt-shim/events.c) and the stream is an async iterator of chunks on
 * the main thread, with backpressure, abort and typed errors; no worker thread waits on it.
 * Outgoing streams block in libvirt, one worker-thread call per {@link LibvirtStream.send}, so a
 * sender that awaits each send never has more than one chunk in flight.
 */
export class LibvirtStream implements AsyncIterable<StreamChunk> {
  private readonly handle: NativeHandle;
  private readonly queue: StreamChunk[] = [];
  private waiting: { resolve: (r: IteratorResult<StreamChunk>) => void; reject: (e: unknown) => void } | null = null;
  private ended = false;
  private failure: Error | undefined;
  private paused = false;
  private watching = false;
  private unwatch: (() => void) | undefined;
  private readonly highWater: number;
  private detachSignal: (() => void) | undefined;

  private constructor(
    private readonly connection: Connection,
    pointer: Pointer,
    private readonly incomingMode: boolean,
    options: IncomingStreamOptions = {},
  ) {
    this.binding = connection.binding;
    this.handle = new NativeHandle(connection.binding, pointer, 'virStreamFree', 'stream');
    this.highWater = Math.max(2, options.highWaterChunks ?? 64);
    const signal = options.signal;
    if (signal) {
      const onAbort = (): void => void this.abort(new AbortedError('stream'));
      signal.addEventListener('abort', onAbort, { once: true });
      this.detachSignal = () => signal.removeEventListener('abort', onAbort);
    }
  }

  /** The binding this stream's calls go through. */
  readonly binding: LibvirtBinding;

  /**
   * A new non-blocking stream to read from (virStreamNew with VIR_STREAM_NONBLOCK): hand
   * {@link pointer} to the call that feeds it (virDomainOpenConsole, virStorageVolDownload), then
   * call {@link startReading}.
   * @throws {@link LibvirtError} when libvirt cannot create it; {@link @virtmig/core!ClosedError} `E_CLOSED` on a closed connection.
   */
  static incoming(connection: Connection, options: IncomingStreamOptions = {}): LibvirtStream {
    if (options.signal?.aborted) throw new AbortedError('stream');
    const p = connection.binding.call('virStreamNew', connection.pointer, ENUMS.virStreamFlags.VIR_STREAM_NONBLOCK);
    return new LibvirtStream(connection, p as Pointer, true, options);
  }

  /**
   * A new blocking stream to write to (virStreamNew): hand {@link pointer} to the call that
   * drains it (virStorageVolUpload), then {@link send} and {@link finish}.
   * @throws {@link LibvirtError} when libvirt cannot create it; {@link @virtmig/core!ClosedError} `E_CLOSED` on a closed connection.
   */
  static outgoing(connection: Connection): LibvirtStream {
    const p = connection.binding.call('virStreamNew', connection.pointer, 0);
    return new LibvirtStream(connection, p as Pointer, false);
  }

  /** The raw virStreamPtr (valid until the stream is finished or aborted). */
  get pointer(): Pointer {
    return this.handle.pointer;
  }

  /**
   * Runs `fn` with the live pointer, keeping it alive until `fn` settles (as domains do).
   * @throws {@link @virtmig/core!ClosedError} `E_CLOSED` once the stream was finished or aborted.
   */
  use<T>(fn: (pointer: Pointer) => Promise<T>): Promise<T> {
    return this.handle.use(fn);
  }

  /**
   * Starts delivering what arrives (virStreamEventAddCallback on the binding's event loop).
   * @throws {@link @virtmig/core!StateError} `E_STATE` on an outgoing stream or when already started.
   * @throws {@link LibvirtError} when libvirt refuses the callback.
   */
  startReading(): void {
    if (!this.incomingMode || this.watching) throw new StateError('startReading: not a fresh incoming stream');
    const events = this.connection.events;
    this.unwatch = events.watchStream(this.pointer, {
      data: (data, atMs) => this.onData({ data, atMs }),
      end: (error) => {
        this.onEnd(
          error
            ? new LibvirtError({
                fn: 'virStreamRecv',
                libvirtCode: error.libvirtCode,
                libvirtDomain: 0,
                libvirtMessage: error.message,
              })
            : undefined,
        );
        // libvirt wants virStreamFinish after end-of-file and virStreamAbort after an error.
        void this.closeNative(error ? 'virStreamAbort' : 'virStreamFinish');
      },
    });
    this.binding.call('virStreamEventAddCallback', this.pointer, READ_EVENTS, events.streamCallback(), null, null);
    this.watching = true;
  }

  /**
   * Sends all of `chunk` (virStreamSend on a worker thread, repeated until libvirt took every byte).
   * @throws {@link @virtmig/core!ClosedError} `E_CLOSED` after finish or abort.
   * @throws {@link LibvirtError} when the stream failed (the receiving side gave up, the connection dropped).
   */
  async send(chunk: Uint8Array): Promise<void> {
    const buf = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    let off = 0;
    while (off < buf.length) {
      const part = off === 0 ? buf : buf.subarray(off);
      const n = (await this.handle.use((p) => this.binding.callAsync('virStreamSend', p, part, part.length))) as number;
      off += n;
    }
  }

  /**
   * Ends an outgoing stream cleanly (virStreamFinish: the receiver has everything) and frees it.
   * @throws {@link LibvirtError} when libvirt reports the transfer failed; the stream is freed anyway.
   */
  async finish(): Promise<void> {
    try {
      await this.handle.use((p) => this.binding.callAsync('virStreamFinish', p));
    } finally {
      this.release();
    }
  }

  /**
   * Aborts the stream (virStreamAbort) and frees it: a reader's iterator ends with `reason`
   * (default `E_ABORTED`), an upload is cut off. Idempotent; never throws.
   */
  async abort(reason: Error = new AbortedError('stream')): Promise<void> {
    if (this.handle.freed) return;
    this.stopWatching();
    this.onEnd(reason);
    await this.closeNative('virStreamAbort');
  }

  private async closeNative(fn: 'virStreamAbort' | 'virStreamFinish'): Promise<void> {
    if (this.handle.freed) return;
    try {
      await this.handle.use((p) => this.binding.callAsync(fn, p));
    } catch {
      // A stream that already ended or failed has nothing left to finish or abort.
    } finally {
      this.release();
    }
  }

  /** The chunks as they arrive; ends at the stream's end, throws its error (typed). */
  [Symbol.asyncIterator](): AsyncIterator<StreamChunk> {
    return {
      next: () => this.next(),
      return: async () => {
        await this.abort();
        return { done: true, value: undefined };
      },
    };
  }

  private next(): Promise<IteratorResult<StreamChunk>> {
    const chunk = this.queue.shift();
    if (chunk) {
      if (this.paused && this.queue.length <= this.highWater / 2) this.resume();
      return Promise.resolve({ done: false, value: chunk });
    }
    if (this.failure) return Promise.reject(this.failure);
    if (this.ended) return Promise.resolve({ done: true, value: undefined });
    if (!this.watching) return Promise.reject(new StateError('the stream is not being read: call startReading()'));
    if (this.waiting) return Promise.reject(new StateError('one next() at a time on a stream'));
    return new Promise((resolve, reject) => {
      this.waiting = { resolve, reject };
    });
  }

  private onData(chunk: StreamChunk): void {
    if (this.ended) return;
    const w = this.waiting;
    if (w) {
      this.waiting = null;
      w.resolve({ done: false, value: chunk });
      return;
    }
    this.queue.push(chunk);
    if (!this.paused && this.queue.length >= this.highWater) this.pause();
  }

  private onEnd(error: Error | undefined): void {
    if (this.ended) return;
    this.ended = true;
    this.failure = error;
    this.stopWatching();
    this.detachSignal?.();
    const w = this.waiting;
    this.waiting = null;
    if (!w) return;
    if (error) w.reject(error);
    else w.resolve({ done: true, value: undefined });
  }

  // Backpressure: with no READABLE interest the loop thread stops reading, libvirt's buffer fills
  // and the peer is held back by the transport's own flow control.
  private pause(): void {
    if (this.handle.freed) return;
    this.paused = true;
    this.binding.call('virStreamEventUpdateCallback', this.pointer, 0);
  }

  private resume(): void {
    if (this.handle.freed) return;
    this.paused = false;
    this.binding.call('virStreamEventUpdateCallback', this.pointer, READ_EVENTS);
  }

  private stopWatching(): void {
    this.unwatch?.();
    this.unwatch = undefined;
    if (this.watching && !this.handle.freed) {
      this.watching = false;
      try {
        this.binding.call('virStreamEventRemoveCallback', this.pointer);
      } catch {
        // The loop thread removes the callback itself at the stream's end.
      }
    }
  }

  private release(): void {
    this.detachSignal?.();
    this.handle.free();
  }
}
