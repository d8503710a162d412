import type { DomainEvent } from '@virtmig/core';
import type { LibvirtBinding } from './binding.js';
import type { Pointer } from './engine.js';
import { ENUMS } from './generated/enums.js';

/** The interface a connection offers the event loop (kept minimal to avoid an import cycle). */
export interface EventSource {
  /** The connection's `virConnectPtr`. */
  readonly pointer: Pointer;
}

/** Receives each domain event of the connection it subscribed to. */
export type Listener = (event: DomainEvent) => void;

const EVENT_KINDS = [
  'defined',
  'undefined',
  'started',
  'suspended',
  'resumed',
  'stopped',
  'shutdown',
  'pmsuspended',
  'crashed',
];
const DETAIL_ENUMS: Record<number, Readonly<Record<string, number>>> = {
  0: ENUMS.virDomainEventDefinedDetailType,
  1: ENUMS.virDomainEventUndefinedDetailType,
  2: ENUMS.virDomainEventStartedDetailType,
  3: ENUMS.virDomainEventSuspendedDetailType,
  4: ENUMS.virDomainEventResumedDetailType,
  5: ENUMS.virDomainEventStoppedDetailType,
  6: ENUMS.virDomainEventShutdownDetailType,
  7: ENUMS.virDomainEventPMSuspendedDetailType,
  8: ENUMS.virDomainEventCrashedDetailType,
};

/** Turns libvirt's numeric event detail into its name, e.g. 3/1 → `migrated`. */
export function eventDetailName(event: number, detail: number): string {
  const table = DETAIL_ENUMS[event];
  const prefix = `VIR_DOMAIN_EVENT_${(EVENT_KINDS[event] ?? '').toUpperCase()}_`;
  for (const [name, value] of Object.entries(table ?? {})) {
    if (value === detail && name.startsWith(prefix)) return name.slice(prefix.length).toLowerCase();
  }
  return String(detail);
}

const ID = ENUMS.virDomainEventID;
const drainBuffer = Buffer.alloc(64 * 1024);
// The running loops: the ones that may hold a subscription.
const allLoops = new Set<EventLoop>();
const WAKEUP_MS = 200;

/** What a watched stream gets from the loop: its data as it arrived, then its end. */
export interface StreamWatcher {
  /** A chunk read from the stream, with the wall-clock time (ms since the epoch) it was read. */
  data(chunk: Buffer, atMs: number): void;
  /** The stream ended: cleanly (`error` undefined) or with libvirt's error code and message. */
  end(error: { readonly libvirtCode: number; readonly message: string } | undefined): void;
}

interface Subscription {
  readonly source: EventSource;
  readonly callbackIds: number[];
  readonly listeners: Set<Listener>;
}

/**
 * libvirt's default event loop, run on a worker thread while any connection is open
 * (virEventRunDefaultImpl blocks until something happens; a periodic C-side wake-up timer bounds
 * each iteration so the loop can stop). Domain events are queued by C callbacks on that thread
 * and reach JS listeners on the main thread after each iteration, stamped with the time libvirt
 * raised them.
 */
export class EventLoop {
  private static readonly loops = new WeakMap<LibvirtBinding, EventLoop>();
  private registered = false;
  private refs = 0;
  private running: Promise<void> | null = null;
  private readonly subs = new Map<bigint, Subscription>();
  private pauseTimer: NodeJS.Timeout | null = null;
  private lifecycleCb: Pointer | null = null;
  private iterationCb: Pointer | null = null;
  private streamCb: Pointer | null = null;
  private readonly streams = new Map<bigint, StreamWatcher>();

  private constructor(private readonly binding: LibvirtBinding) {}

  /** The loop of a binding. */
  static for(binding: LibvirtBinding): EventLoop {
    let loop = EventLoop.loops.get(binding);
    if (!loop) {
      loop = new EventLoop(binding);
      EventLoop.loops.set(binding, loop);
    }
    return loop;
  }

  /** Registers libvirt's default event implementation (once per process and binding). */
  register(): void {
    if (this.registered) return;
    this.binding.call('virEventRegisterDefaultImpl');
    this.registered = true;
  }

  /** True while the worker runs the loop. */
  get active(): boolean {
    return this.running !== null;
  }

  /** One more user (an open connection); starts the loop. */
  acquire(): void {
    this.refs += 1;
    if (!this.running) this.running = this.run();
  }

  /** One user fewer (a connection released, by close() or its finalizer); the loop stops within about 200 ms of the last release. */
  release(): void {
    this.refs = Math.max(0, this.refs - 1);
    // The loop ends after this pause; whoever awaits stopped() must see it end, not an exit.
    if (this.refs === 0) this.pauseTimer?.ref();
  }

  /** Resolves once the worker has stopped (after the last release). */
  async stopped(): Promise<void> {
    await this.running;
  }

  /** Subscribes to lifecycle and migration-iteration events of one connection. */
  subscribe(source: EventSource, listener: Listener): () => void {
    const key = this.binding.engine.address(source.pointer);
    let sub = this.subs.get(key);
    if (!sub) {
      sub = { source, callbackIds: [], listeners: new Set() };
      this.ensureCallbacks();

      sub.callbackIds.push(
        this.binding.call(
          'virConnectDomainEventRegisterAny',
          source.pointer,
          null,
          ID.VIR_DOMAIN_EVENT_ID_LIFECYCLE,
          this.lifecycleCb,
          null,
          null,
        ) as number,
        this.binding.call(
          'virConnectDomainEventRegisterAny',
          source.pointer,
          null,
          ID.VIR_DOMAIN_EVENT_ID_MIGRATION_ITERATION,
          this.iterationCb,
          null,
          null,
        ) as number,
      );
      this.subs.set(key, sub);
    }
    sub.listeners.add(listener);
    this.pauseTimer?.ref();
    const s = sub;
    // By address, not through source.pointer: unsubscribing after close() (a migration's cleanup
    // when the connection was closed under it) must be a no-op, not an E_CLOSED.
    return () => {
      s.listeners.delete(listener);
      if (s.listeners.size === 0) this.removeSubscription(key);
    };
  }

  /**
   * The C callback to give virStreamEventAddCallback: it reads the stream on the loop's thread
   * into the queue, and the loop hands what it read to the watcher registered for that stream.
   */
  streamCallback(): Pointer {
    this.streamCb ??= this.binding.shimCallback('virtmig_events_stream_cb');
    return this.streamCb;
  }

  /**
   * Hands the data and end of the stream at `pointer` to `watcher` (one per stream); a watched
   * stream keeps Node alive, as a socket being read does. Returns the function that stops it.
   */
  watchStream(pointer: Pointer, watcher: StreamWatcher): () => void {
    const key = this.binding.engine.address(pointer);
    this.streams.set(key, watcher);
    this.pauseTimer?.ref();
    return () => {
      if (this.streams.get(key) === watcher) this.streams.delete(key);
    };
  }

  /** Deregisters every callback of a connection (called before it closes). */
  removeConnection(source: EventSource): void {
    this.removeSubscription(this.binding.engine.address(source.pointer));
  }

  private removeSubscription(key: bigint): void {
    const sub = this.subs.get(key);
    if (!sub) return;
    const source = sub.source;
    // Events already queued still reach these listeners; none queued for this address may be
    // left to a later connection that libvirt allocates at the same address.
    this.drainEvents();
    this.subs.delete(key);
    for (const id of sub.callbackIds) {
      try {
        this.binding.call('virConnectDomainEventDeregisterAny', source.pointer, id);
      } catch {
        // A connection whose daemon is gone cannot deregister; closing it drops the callbacks anyway.
      }
    }
  }

  // Events were queued in C on the loop's thread (native/libvirt-shim/events.c); they are
  // delivered here, on the main thread, in the order libvirt raised them. The shim is one library
  // per process, so one loop may drain events of another binding's connection: those go to the
  // loop that holds the subscription.
  private drainEvents(): void {
    for (;;) {
      const len = Number(
        this.binding.shimCall('virtmig_events_drain', 'long', ['pointer', 'long'], drainBuffer, drainBuffer.length),
      );
      if (len === 0) return;
      let o = 0;
      while (o < len) {
        const conn = drainBuffer.readBigUInt64LE(o);
        const kind = drainBuffer.readInt32LE(o + 8);
        const a = drainBuffer.readInt32LE(o + 12);
        const b = drainBuffer.readInt32LE(o + 16);
        const at = drainBuffer.readDoubleLE(o + 20);
        const nameLen = drainBuffer.readUInt32LE(o + 28);
        const start = o + 32;
        o += 32 + nameLen;
        if (kind === 2 || kind === 3) {
          const bytes = Buffer.from(drainBuffer.subarray(start, start + nameLen));
          for (const loop of allLoops) loop.deliverStream(conn, kind, a === 0, b, bytes, at);
          continue;
        }
        const domain = drainBuffer.toString('utf8', start, start + nameLen);
        const event: DomainEvent =
          kind === 0
            ? { domain, kind: EVENT_KINDS[a] ?? String(a), detail: eventDetailName(a, b), at }
            : { domain, kind: 'migration-iteration', detail: String(a), at, iteration: a };
        for (const loop of allLoops) loop.deliver(conn, event);
      }
    }
  }

  private deliverStream(
    key: bigint,
    kind: number,
    clean: boolean,
    libvirtCode: number,
    bytes: Buffer,
    at: number,
  ): void {
    const watcher = this.streams.get(key);
    if (!watcher) return;
    if (kind === 2) {
      watcher.data(bytes, at);
      return;
    }
    this.streams.delete(key);
    watcher.end(clean ? undefined : { libvirtCode, message: bytes.toString('utf8') });
  }

  private deliver(conn: bigint, event: DomainEvent): void {
    const sub = this.subs.get(conn);
    if (!sub) return;
    for (const l of sub.listeners) {
      try {
        l(event);
      } catch {
        // A throwing listener must not break delivery to the others.
      }
    }
  }

  private ensureCallbacks(): void {
    if (this.lifecycleCb !== null) return;
    this.lifecycleCb = this.binding.shimCallback('virtmig_events_lifecycle_cb');
    this.iterationCb = this.binding.shimCallback('virtmig_events_iteration_cb');
  }

  // Between iterations the loop holds Node alive only while someone listens for events: an open
  // connection nobody listens on (one a script forgot to close, say) must not keep the process
  // running, and exiting there is safe because no worker call is in flight. Calls on the
  // connection keep Node alive by themselves.
  private pause(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const t = setTimeout(() => {
        this.pauseTimer = null;
        resolve();
      }, ms);
      if (this.subs.size === 0 && this.streams.size === 0) t.unref();
      this.pauseTimer = t;
    });
  }

  private async run(): Promise<void> {
    const timer = this.binding.shimCall('virtmig_add_wakeup_timer', 'int', ['int'], WAKEUP_MS) as number;
    allLoops.add(this);
    try {
      while (this.refs > 0) {
        let pauseMs = 0;
        try {
          await this.binding.callAsync('virEventRunDefaultImpl');
        } catch {
          // The loop must outlive any one failure, or keepalives stop and every connection dies;
          // the pause keeps a persistent failure from spinning.
          pauseMs = 50;
        }
        this.drainEvents();
        if (this.refs > 0) await this.pause(pauseMs);
      }
    } finally {
      if (timer >= 0) this.binding.call('virEventRemoveTimeout', timer);
      this.drainEvents();
      allLoops.delete(this);
      this.running = null;
    }
  }
}
