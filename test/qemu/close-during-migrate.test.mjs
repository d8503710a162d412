// Closing a connection while a live migration runs (what signal handlers, timeouts and abort
// paths do): the job is aborted with virDomainAbortJob, the migration rejects with E_CLOSED, the
// guest keeps running on the source, and nothing is left on the destination.

import { expect } from 'chai';
import { labPair, openHosts, rejectsWith } from './helpers.mjs';

describe('QEMU driver: close() during a live migration in the lab', function () {
  this.timeout(240_000);
  const lab = labPair('cdm');

  for (const side of ['source', 'destination']) {
    it(`closing the ${side} connection mid-migration aborts the job: E_CLOSED, the guest keeps running on the source, none on the destination`, async () => {
      const name = await lab.guest(
        'a',
        '--workload',
        'dirtier',
        '--args',
        '--wss-mb 64 --rate-mbps 0 --seconds 100000',
      );
      const before = await lab.a.lookupDomain(name);
      // Connections of their own: the suite's stay open to check the outcome.
      const [src, dst] = await openHosts(lab.status);
      const closing = side === 'source' ? src : dst;
      let processed = 0;
      let closed;
      try {
        const pending = src.migrate(name, dst, {
          bandwidthMiBps: 8,
          onProgress: (p) => {
            processed = Math.max(processed, p.dataProcessedBytes);
            if (p.dataProcessedBytes > 4 << 20) closed ??= closing.close();
          },
        });
        await rejectsWith(() => pending, 'E_CLOSED');
        await closed;
      } finally {
        await src.close();
        await dst.close();
      }
      expect(processed, 'the close came after RAM transfer had begun').to.be.greaterThan(4 << 20);
      const after = await lab.a.lookupDomain(name);
      expect(after.state).to.equal('running');
      expect(after.id).to.equal(before.id);
      await rejectsWith(() => lab.b.lookupDomain(name), 'E_NOT_FOUND');
    });
  }
});
