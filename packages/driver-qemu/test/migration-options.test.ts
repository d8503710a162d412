import { MIGRATION_OPTION_NAMES } from '@virtmig/core';
import { expect } from 'chai';
import { assertQemuMigrationOptions, QEMU_CAPABILITIES } from '../src/index.js';

describe('QEMU migration options', () => {
  it('offers every MigrationOptions field, post-copy, TLS and tunnelled peer-to-peer included', () => {
    expect(MIGRATION_OPTION_NAMES).to.include.members(['postCopy', 'tls', 'peerUri', 'tunnelled']);
    for (const k of MIGRATION_OPTION_NAMES) expect(QEMU_CAPABILITIES.migrationOptions.has(k), k).to.equal(true);
  });

  it('accepts a full set of valid values', () => {
    expect(() =>
      assertQemuMigrationOptions({
        postCopy: { afterMs: 500 },
        maxDowntimeMs: 300,
        bandwidthMiBps: 125,
        autoConverge: true,
        compression: ['xbzrle', 'mt'],
        parallelConnections: 4,
        migrateUri: 'tcp://10.77.0.2:49184',
        timeoutMs: 60_000,
        signal: new AbortController().signal,
        onProgress: () => undefined,
      }),
    ).to.not.throw();
    expect(() => assertQemuMigrationOptions({ migrateUri: 'tcp://[fd00::2]' })).to.not.throw();
  });

  for (const [field, o] of [
    ['maxDowntimeMs', { maxDowntimeMs: 0 }],
    ['bandwidthMiBps', { bandwidthMiBps: 1.5 }],
    ['parallelConnections', { parallelConnections: 0 }],
    ['compression', { compression: ['lz4'] }],
    ['compression', { compression: [] }],
    ['compression', { compression: ['xbzrle', 'xbzrle'] }],
    ['migrateUri', { migrateUri: 'tcp://h;rm -rf /' }],
    ['migrateUri', { migrateUri: 'http://h' }],
    ['postCopy', { postCopy: { afterMs: -1 } }],
    ['postCopy', { postCopy: true, live: false }],
    ['timeoutMs', { timeoutMs: 0 }],
    ['tunnelled', { tunnelled: true, peerUri: 'qemu+tcp://b/system', postCopy: true }],
    ['tunnelled', { tunnelled: true }],
    ['peerUri', { peerUri: 'b' }],
  ] as const) {
    it(`refuses a bad ${field} (${JSON.stringify(o)}) with E_INVALID_ARGUMENT`, () => {
      expect(() => assertQemuMigrationOptions(o as never))
        .to.throw()
        .that.satisfies(
          (e: { code: string; message: string }) => e.code === 'E_INVALID_ARGUMENT' && e.message.includes(field),
        );
    });
  }
});
