import type { DomainEvent, MigrationResult } from '@virtmig/core';
import { expect } from 'chai';
import { heartbeatDowntime, measureDowntimeFromEvents, parseHeartbeats, withMeasuredDowntime } from '../src/index.js';
import { throwsWith } from './helpers.js';

const ev = (kind: string, detail: string, at: number): DomainEvent => ({ domain: 'g', kind, detail, at });
const beats = (from: number, to: number, startMs: number, stepMs = 100): string =>
  Array.from({ length: to - from + 1 }, (_, i) => `HB ${from + i} ${startMs + i * stepMs}\n`).join('');

describe('measureDowntimeFromEvents', () => {
  it('measures from the source suspended/migrated to the destination resumed/migrated', () => {
    expect(measureDowntimeFromEvents([ev('suspended', 'migrated', 1000), ev('resumed', 'migrated', 1240)])).to.equal(
      240,
    );
  });

  it('accepts started/migrated as the end and ignores unrelated events, whatever their order', () => {
    const events = [
      ev('started', 'migrated', 1500),
      ev('suspended', 'paused', 100),
      ev('suspended', 'migrated', 1400),
      ev('defined', 'added', 1450),
    ];
    expect(measureDowntimeFromEvents(events)).to.equal(100);
  });

  it('uses the last suspension before the resume', () => {
    expect(
      measureDowntimeFromEvents([
        ev('suspended', 'migrated', 10),
        ev('suspended', 'migrated', 50),
        ev('resumed', 'migrated', 80),
      ]),
    ).to.equal(30);
  });

  it('is undefined without a suspension or without a resume', () => {
    expect(measureDowntimeFromEvents([ev('resumed', 'migrated', 5)])).to.equal(undefined);
    expect(measureDowntimeFromEvents([ev('suspended', 'migrated', 5)])).to.equal(undefined);
  });
});

describe('heartbeats', () => {
  it('parseHeartbeats keeps complete HB lines only, ignoring other output, CRs and a cut-off last line', () => {
    expect(parseHeartbeats('boot\nHB 1 100\r\nHB x 1\nHB 2 200\nHB 3 30')).to.deep.equal([
      { seq: 1, guestMs: 100 },
      { seq: 2, guestMs: 200 },
    ]);
  });

  it('heartbeatDowntime finds the largest gap among beats printed after the earlier read', () => {
    const before = `kernel log\n${beats(1, 10, 1000)}`;
    const after = `${before}${beats(11, 20, 2000)}${beats(21, 30, 3500)}`;
    expect(heartbeatDowntime(before, after)).to.deep.equal({ gapMs: 600, fromSeq: 20, toSeq: 21, beats: 21 });
  });

  it('heartbeatDowntime counts the gap between the last beat before and the first after', () => {
    const before = beats(1, 5, 0);
    expect(heartbeatDowntime(before, before + beats(6, 8, 1400))?.gapMs).to.equal(1000);
  });

  it('heartbeatDowntime reads a destination log that does not repeat the source log', () => {
    expect(heartbeatDowntime(beats(1, 3, 0), beats(4, 5, 450))?.gapMs).to.equal(250);
  });

  it('heartbeatDowntime is undefined with fewer than two beats', () => {
    expect(heartbeatDowntime('', 'HB 1 5\n')).to.equal(undefined);
  });

  it('heartbeatDowntime refuses a clock that runs backwards with E_PARSE', () => {
    throwsWith(() => heartbeatDowntime('', 'HB 1 500\nHB 2 400\n'), 'E_PARSE');
  });
});

describe('withMeasuredDowntime', () => {
  const base: MigrationResult = {
    domain: 'g',
    sourceUri: 'xen+ssh://a/system',
    destinationUri: 'xen+ssh://b/system',
    startedAt: new Date(0).toISOString(),
    endedAt: new Date(5000).toISOString(),
    totalTimeMs: 5000,
    postCopy: false,
    stages: { precopyRounds: [] },
    raw: {},
  };
  const events = [ev('suspended', 'migrated', 100), ev('resumed', 'migrated', 180)];

  it('fills downtime from events when libxl reported none', () => {
    expect(withMeasuredDowntime(base, { events })).to.include({ downtimeMs: 80, downtimeSource: 'events' });
  });

  it('prefers the heartbeat gap when logs were given', () => {
    const heartbeat = { before: beats(1, 3, 0), after: beats(1, 3, 0) + beats(4, 6, 530) };
    expect(withMeasuredDowntime(base, { events, heartbeat })).to.include({
      downtimeMs: 330,
      downtimeSource: 'heartbeat',
    });
  });

  it('falls back to events when the logs hold no heartbeat', () => {
    expect(withMeasuredDowntime(base, { events, heartbeat: { before: '', after: 'no beats\n' } })).to.include({
      downtimeSource: 'events',
    });
  });

  it('keeps a hypervisor-reported downtime and leaves a result without evidence alone', () => {
    const reported = { ...base, downtimeMs: 12, downtimeSource: 'hypervisor' as const };
    expect(withMeasuredDowntime(reported, { events })).to.equal(reported);
    expect(withMeasuredDowntime(base, { events: [] })).to.equal(base);
  });
});
