import { expect } from 'chai';
import { guestCmdline } from '../src/commands/guest.js';
import { isLabHostName, labPrefix } from '../src/commands/lab.js';
import { migrationOptionsFromCli, progressLine } from '../src/commands/migrate.js';

describe('virtmig migrate / guest / lab option handling', () => {
  it('maps every migrate flag onto MigrationOptions', () => {
    expect(
      migrationOptionsFromCli({
        from: 'a',
        to: 'b',
        postCopy: true,
        maxDowntime: '300',
        bandwidth: '125',
        autoConverge: true,
        compression: 'xbzrle,mt',
        parallel: '4',
        tls: true,
        persist: true,
        undefineSource: true,
        migrateUri: 'tcp://10.77.0.2:49184',
        peerUri: 'qemu+tcp://10.77.0.2/system',
        tunnelled: true,
        timeout: '60000',
      }),
    ).to.deep.equal({
      postCopy: true,
      maxDowntimeMs: 300,
      bandwidthMiBps: 125,
      autoConverge: true,
      compression: ['xbzrle', 'mt'],
      parallelConnections: 4,
      tls: true,
      persistDestination: true,
      undefineSource: true,
      migrateUri: 'tcp://10.77.0.2:49184',
      peerUri: 'qemu+tcp://10.77.0.2/system',
      tunnelled: true,
      timeoutMs: 60000,
    });
  });

  it('--post-copy-after N becomes a delayed post-copy switch', () => {
    expect(migrationOptionsFromCli({ from: 'a', to: 'b', postCopyAfter: '500' })).to.deep.equal({
      postCopy: { afterMs: 500 },
    });
  });

  for (const [flag, value] of [
    ['bandwidth', '1.5'],
    ['maxDowntime', '0'],
    ['parallel', '-1'],
    ['timeout', 'soon'],
  ] as const) {
    it(`refuses --${flag} ${value} with E_INVALID_ARGUMENT`, () => {
      expect(() => migrationOptionsFromCli({ from: 'a', to: 'b', [flag]: value }))
        .to.throw()
        .with.property('code', 'E_INVALID_ARGUMENT');
    });
  }

  it('tells lab host names from URIs', () => {
    expect(isLabHostName('a')).to.equal(true);
    expect(isLabHostName('B')).to.equal(true);
    expect(isLabHostName('qemu+unix:///system?socket=/x')).to.equal(false);
  });

  it('validates the lab prefix as scripts/lab/lab does', () => {
    expect(labPrefix('vmqtest')).to.equal('vmqtest');
    for (const bad of ['', 'Upper', '1abc', 'a-b', 'waytoolongprefix'])
      expect(() => labPrefix(bad))
        .to.throw()
        .with.property('code', 'E_INVALID_ARGUMENT');
  });

  it('builds the guest command line of the lab image and refuses shell or quote characters in workload args', () => {
    expect(guestCmdline('dirtier', '--wss-mb 64 --rate-mbps 32')).to.equal(
      'console=ttyS0 quiet virtmig.workload=dirtier virtmig.args="--wss-mb 64 --rate-mbps 32"',
    );
    expect(guestCmdline()).to.equal('console=ttyS0 quiet');
    expect(() => guestCmdline('x;y'))
      .to.throw()
      .with.property('code', 'E_INVALID_ARGUMENT');
    expect(() => guestCmdline('dirtier', '" init=/bin/sh'))
      .to.throw()
      .with.property('code', 'E_INVALID_ARGUMENT');
  });

  it('draws a progress bar from a progress sample', () => {
    const line = progressLine({
      elapsedMs: 1500,
      dataTotalBytes: 100 << 20,
      dataProcessedBytes: 50 << 20,
      dataRemainingBytes: 50 << 20,
      iteration: 2,
      phase: 'precopy',
    });
    expect(line).to.equal(`[${'#'.repeat(15)}${' '.repeat(15)}]  50% precopy pass 2 50.0/100.0 MiB 1.5 s`);
  });
});
