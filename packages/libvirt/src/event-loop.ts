import type { DomainEvent } from '@virtmig/core';
import type { LibvirtBinding } from './binding.js';
import type { NativeCallback, Pointer } from './engine.js';
import { ENUMS } from './generated/enums.js';

/** The interface a connection offers the event loop (kept minimal to avoid an import cycle). */
interface EventSource {
  readonly pointer: Pointer;
}

type Listener = (event: DomainEvent) => void;

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
const WAKEUP_MS = 200;

interface Subscription {
  readonly source: EventSource;
  readonly callbackIds: number[];
  readonly listeners: Set<Listener>;
}

/**
 * libvirt's default event loop, run on a worker thread while any connection is open
 * (virEventRunDefaultImpl blocks until something happens; a periodic C-side wake-up timer bounds
 * each iteration so the loop can stop). Domain events arrive on that thread and reach JS
 * listeners on the main thread through the engine's callback marshalling.
 */
export class EventLoop {
  private static readonly loops = new WeakMap<LibvirtBinding, EventLoop>();
  private registered = false;
  private refs = 0;
  private running: Promise<void> | null = null;
  private readonly subs = new Map<bigint, Subscription>();
  private lifecycleCb: NativeCallback | null = null;
  private iterationCb: NativeCallback | null = null;

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
      const lifecycle = this.lifecycleCb as NativeCallback;
      const iteration = this.iterationCb as NativeCallback;
      sub.callbackIds.push(
        this.binding.call(
          'virConnectDomainEventRegisterAny',
          source.pointer,
          null,
          ID.VIR_DOMAIN_EVENT_ID_LIFECYCLE,
          lifecycle.pointer,
          null,
          null,
        ) as number,
        this.binding.call(
          'virConnectDomainEventRegisterAny',
          source.pointer,
          null,
          ID.VIR_DOMAIN_EVENT_ID_MIGRATION_ITERATION,
          iteration.pointer,
          null,
          null,
        ) as number,
      );
      this.subs.set(key, sub);
    }
    sub.listeners.add(listener);
    const s = sub;
    return () => {
      s.listeners.delete(listener);
      if (s.listeners.size === 0) this.removeConnection(s.source);
    };
  }

  /** Deregisters every callback of a connection (called before it closes). */
  removeConnection(source: EventSource): void {
    const key = this.binding.engine.address(source.pointer);
    const sub = this.subs.get(key);
    if (!sub) return;
    this.subs.delete(key);
    for (const id of sub.callbackIds) {
      try {
        this.binding.call('virConnectDomainEventDeregisterAny', source.pointer, id);
      } catch {
        // A connection whose daemon is gone cannot deregister; closing it drops the callbacks anyway.
      }
    }
  }

  private dispatch(conn: Pointer, dom: Pointer, make: (domain: string) => DomainEvent): void {
    const sub = this.subs.get(this.binding.engine.address(conn));
    if (!sub || sub.listeners.size === 0) return;
    const event = make(this.binding.call('virDomainGetName', dom) as string);
    for (const l of sub.listeners) {
      try {
        l(event);
      } catch {
        // A throwing listener must not break delivery to the others or unwind into libvirt.
      }
    }
  }

  private ensureCallbacks(): void {
    if (this.lifecycleCb) return;
    this.lifecycleCb = this.binding.engine.callback(
      'int',
      ['pointer', 'pointer', 'int', 'int', 'pointer'],
      (conn, dom, event, detail) => {
        const e = event as number;
        this.dispatch(conn, dom, (domain) => ({
          domain,
          kind: EVENT_KINDS[e] ?? String(e),
          detail: eventDetailName(e, detail as number),
          at: Date.now(),
        }));
        return 0;
      },
    );
    this.iterationCb = this.binding.engine.callback(
      'void',
      ['pointer', 'pointer', 'int', 'pointer'],
      (conn, dom, iteration) => {
        this.dispatch(conn, dom, (domain) => ({
          domain,
          kind: 'migration-iteration',
          detail: String(iteration),
          at: Date.now(),
          iteration: iteration as number,
        }));
      },
    );
  }

  // Between iterations the loop holds Node alive only while someone listens for events: an open
  // connection nobody listens on (one a script forgot to close, say) must not keep the process
  // running, and exiting there is safe because no worker call is in flight. Calls on the
  // connection keep Node alive by themselves.
  private pause(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const t = setTimeout(resolve, ms);
      if (this.subs.size === 0) t.unref();
    });
  }

  private async run(): Promise<void> {
    const timer = this.binding.shimCall('virtmig_add_wakeup_timer', 'int', ['int'], WAKEUP_MS) as number;
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
        await this.pause(pauseMs);
      }
    } finally {
      if (timer >= 0) this.binding.call('virEventRemoveTimeout', timer);
      this.running = null;
    }
  }
}
