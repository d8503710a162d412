import { type DomainEvent, type Heartbeat, type MigrationResult, ParseError, parseHeartbeatLine } from '@virtmig/core';

/**
 * Downtime in ms from lifecycle events gathered on both hosts during a migration: from the
 * source's last `suspended`/`migrated` to the first `resumed`/`migrated` (or `started`/`migrated`)
 * after it. Undefined when either is missing. Event times are when virtmig received them, so
 * the figure includes the event delivery latency of both connections.
 */
export function measureDowntimeFromEvents(events: readonly DomainEvent[]): number | undefined {
  let suspendedAt: number | undefined;
  for (const e of [...events].sort((a, b) => a.at - b.at)) {
    if (e.detail !== 'migrated') continue;
    if (e.kind === 'suspended') suspendedAt = e.at;
    else if ((e.kind === 'resumed' || e.kind === 'started') && suspendedAt !== undefined)
      return Math.max(0, e.at - suspendedAt);
  }
  return undefined;
}

/** The largest silence between two consecutive heartbeats. */
export interface HeartbeatGap {
  /** Milliseconds between the two heartbeats (an upper bound of the downtime, one period coarse). */
  readonly gapMs: number;
  /** Sequence number of the heartbeat before the gap. */
  readonly fromSeq: number;
  /** Sequence number of the heartbeat after the gap. */
  readonly toSeq: number;
  /** How many heartbeats were compared. */
  readonly beats: number;
}

/**
 * The complete `HB <seq> <ms>` lines of a console log. A last line without its newline may be cut
 * short by the read, so it is left out; other console output is ignored.
 */
export function parseHeartbeats(log: string): Heartbeat[] {
  const lines = log.split('\n');
  lines.pop();
  const beats: Heartbeat[] = [];
  for (const raw of lines) {
    const beat = parseHeartbeatLine(raw);
    if (beat) beats.push(beat);
  }
  return beats;
}

/**
 * The largest gap between consecutive heartbeats printed since `serialLogBefore` was read: the
 * last heartbeat of `serialLogBefore` plus every later one (by sequence number) in
 * `serialLogAfter`. The guest prints one about every 100 ms, so a migration's downtime shows as
 * one long gap. Undefined with fewer than two heartbeats; `E_PARSE` when the guest's clock runs backwards.
 */
export function heartbeatDowntime(serialLogBefore: string, serialLogAfter: string): HeartbeatGap | undefined {
  const last = parseHeartbeats(serialLogBefore).at(-1);
  const beats = [
    ...(last ? [last] : []),
    ...parseHeartbeats(serialLogAfter).filter((b) => last === undefined || b.seq > last.seq),
  ];
  let best: HeartbeatGap | undefined;
  for (let i = 1; i < beats.length; i++) {
    const a = beats[i - 1] as Heartbeat;
    const b = beats[i] as Heartbeat;
    if (b.seq <= a.seq || b.guestMs < a.guestMs) {
      throw new ParseError(
        'heartbeat log',
        `heartbeat ${b.seq} (${b.guestMs} ms) does not follow ${a.seq} (${a.guestMs} ms)`,
      );
    }
    if (!best || b.guestMs - a.guestMs > best.gapMs)
      best = { gapMs: b.guestMs - a.guestMs, fromSeq: a.seq, toSeq: b.seq, beats: beats.length };
  }
  return best;
}

/** What {@link withMeasuredDowntime} measures downtime from. */
export interface DowntimeEvidence {
  /** Lifecycle events of the migrated domain on both hosts, gathered during the migration. */
  readonly events: readonly DomainEvent[];
  /** Console logs read before and after the migration, when the guest prints heartbeats. */
  readonly heartbeat?: {
    /** The console log read before the migration. */
    readonly before: string;
    /** The console log read after it. */
    readonly after: string;
  };
}

/**
 * Fills `downtimeMs` of a result whose hypervisor reported none (libxl never does): from the
 * heartbeat gap when logs were given and hold one (what the guest saw), else from the events. A
 * hypervisor-reported downtime is kept.
 */
export function withMeasuredDowntime(result: MigrationResult, evidence: DowntimeEvidence): MigrationResult {
  if (result.downtimeMs !== undefined && result.downtimeSource === 'hypervisor') return result;
  const gap = evidence.heartbeat ? heartbeatDowntime(evidence.heartbeat.before, evidence.heartbeat.after) : undefined;
  if (gap) return { ...result, downtimeMs: gap.gapMs, downtimeSource: 'heartbeat' };
  if (result.downtimeMs !== undefined) return result;
  const fromEvents = measureDowntimeFromEvents(evidence.events);
  if (fromEvents !== undefined) return { ...result, downtimeMs: fromEvents, downtimeSource: 'events' };
  return result;
}
