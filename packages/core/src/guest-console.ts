/*
 * The line protocol virtmig's guest image speaks on its console (scripts/guest/init): parsed here
 * once, for the drivers (downtime from heartbeat gaps), the runner (boot, workload results, disk
 * reads) and the tests.
 */

/** One `HB <seq> <uptime-ms>` line: the guest prints one about every 100 ms. */
export interface Heartbeat {
  /** Sequence number the guest gives each heartbeat, from 1. */
  readonly seq: number;
  /** The guest's uptime in ms when it wrote the line (stands still while the guest is paused). */
  readonly guestMs: number;
}

/**
 * A heartbeat stamped with the host's monotonic clock (`performance.now()`) when it was read:
 * only arrival gaps show a migration's unavailability, as the guest's clock does not see it.
 */
export interface ObservedHeartbeat extends Heartbeat {
  /** `performance.now()` when the host read the line. */
  readonly hostMs: number;
}

/** The `VIRTMIG <EVENT> ...` lines of the guest's init. */
export type GuestEventName = 'BOOT' | 'WORKLOAD' | 'DISK' | 'ERROR';

/** One console line, by what the guest's protocol says it is. */
export type GuestConsoleLine =
  | ({
      /** `heartbeat`: an `HB <seq> <ms>` line. */
      readonly kind: 'heartbeat';
    } & Heartbeat)
  | {
      /** `disk-read`: `DISK <seq> <md5>`, the guest read its disk's first MiB (`virtmig.disk`). */
      readonly kind: 'disk-read';
      /** Sequence number of the read. */
      readonly seq: number;
      /** MD5 of what it read, lower-case hex. */
      readonly md5: string;
    }
  | {
      /** `workload-output`: `WL <line>`, a line the workload printed (its JSON result among them). */
      readonly kind: 'workload-output';
      /** The workload's line, without the `WL ` prefix. */
      readonly text: string;
    }
  | {
      /** `event`: `VIRTMIG <EVENT> <detail>` from the guest's init. */
      readonly kind: 'event';
      /** Which event. */
      readonly event: GuestEventName;
      /** The rest of the line (`BOOT`: uptime ms; `WORKLOAD`: name, arguments, copies; `ERROR`: why). */
      readonly detail: string;
    }
  | {
      /** `other`: kernel messages and anything else. */
      readonly kind: 'other';
      /** The line as read. */
      readonly text: string;
    };

const HB = /^HB (\d+) (\d+)$/;
const DISK = /^DISK (\d+) ([0-9a-f]{32})$/;
const EVENT = /^VIRTMIG (BOOT|WORKLOAD|DISK|ERROR)(?: (.*))?$/;

/** Classifies one console line (a trailing `\r` from a serial console is ignored). */
export function parseGuestConsoleLine(raw: string): GuestConsoleLine {
  const text = raw.endsWith('\r') ? raw.slice(0, -1) : raw;
  const hb = HB.exec(text);
  if (hb) return { kind: 'heartbeat', seq: Number(hb[1]), guestMs: Number(hb[2]) };
  const disk = DISK.exec(text);
  if (disk) return { kind: 'disk-read', seq: Number(disk[1]), md5: disk[2] as string };
  if (text.startsWith('WL ')) return { kind: 'workload-output', text: text.slice(3) };
  const ev = EVENT.exec(text);
  if (ev) return { kind: 'event', event: ev[1] as GuestEventName, detail: ev[2] ?? '' };
  return { kind: 'other', text };
}

/** The heartbeat a console line carries, or undefined when it is another line. */
export function parseHeartbeatLine(raw: string): Heartbeat | undefined {
  const line = parseGuestConsoleLine(raw);
  return line.kind === 'heartbeat' ? { seq: line.seq, guestMs: line.guestMs } : undefined;
}
