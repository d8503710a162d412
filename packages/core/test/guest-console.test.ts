import { expect } from 'chai';
import { parseGuestConsoleLine, parseHeartbeatLine } from '../src/index.js';

describe('guest console protocol', () => {
  const cases: [string, ReturnType<typeof parseGuestConsoleLine>][] = [
    ['HB 12 3456', { kind: 'heartbeat', seq: 12, guestMs: 3456 }],
    ['HB 12 3456\r', { kind: 'heartbeat', seq: 12, guestMs: 3456 }],
    ['DISK 3 0123456789abcdef0123456789abcdef', { kind: 'disk-read', seq: 3, md5: '0123456789abcdef0123456789abcdef' }],
    ['WL {"score":1}', { kind: 'workload-output', text: '{"score":1}' }],
    ['VIRTMIG BOOT 812', { kind: 'event', event: 'BOOT', detail: '812' }],
    [
      'VIRTMIG WORKLOAD linpack --seconds 30 x1',
      { kind: 'event', event: 'WORKLOAD', detail: 'linpack --seconds 30 x1' },
    ],
    ['VIRTMIG DISK vda 524288', { kind: 'event', event: 'DISK', detail: 'vda 524288' }],
    ['VIRTMIG ERROR no vda', { kind: 'event', event: 'ERROR', detail: 'no vda' }],
    ['[    0.000000] Linux version 6.1', { kind: 'other', text: '[    0.000000] Linux version 6.1' }],
  ];
  for (const [line, parsed] of cases) {
    it(`reads ${JSON.stringify(line)} as ${parsed.kind}`, () => {
      expect(parseGuestConsoleLine(line)).to.deep.equal(parsed);
    });
  }

  it('does not take a torn or prefixed heartbeat for one', () => {
    for (const line of ['HB 12', 'HB 12 34x', 'xHB 12 34', 'HB -1 5', 'DISK 3 XYZ', 'VIRTMIG BOOTED 1']) {
      expect(parseGuestConsoleLine(line).kind, line).to.equal('other');
    }
  });

  it('parseHeartbeatLine gives the heartbeat of an HB line and nothing for other lines', () => {
    expect(parseHeartbeatLine('HB 1 100')).to.deep.equal({ seq: 1, guestMs: 100 });
    expect(parseHeartbeatLine('WL HB 1 100')).to.equal(undefined);
  });
});
