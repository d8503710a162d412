import { expect } from 'chai';
import { Connection, ENUMS, LibvirtError } from '../src/index.js';
import { BareHypervisor } from './bare-hypervisor.js';
import { ENGINES } from './engines.js';

// The test driver cannot migrate: virDomainMigrate3 is stubbed with a job that runs until
// virDomainAbortJob ends it, as QEMU's does; everything else is the real binding.
for (const engine of ENGINES) {
  describe(`close() during migrate() on ${engine}`, () => {
    for (const side of ['source', 'destination'] as const) {
      it(`closing the ${side} aborts the job, rejects with E_CLOSED and releases the connection only after the migration call settled`, async () => {
        const source = new BareHypervisor(await Connection.open('test:///default', { engine }), { migration: true });
        const destination = new BareHypervisor(await Connection.open('test:///default', { engine }), {
          migration: true,
        });
        const b = source.connection.binding;
        const realAsync = b.callAsync.bind(b);
        const realCall = b.call.bind(b);
        const order: string[] = [];
        let endJob: (() => void) | undefined;
        b.callAsync = async (name: string, ...args: unknown[]) => {
          if (name === 'virDomainMigrate3') {
            order.push('migrate3 started');
            await new Promise<void>((resolve) => {
              endJob = resolve;
            });
            order.push('migrate3 settled');
            throw new LibvirtError({
              fn: name,
              libvirtCode: ENUMS.virErrorNumber.VIR_ERR_OPERATION_ABORTED,
              libvirtDomain: ENUMS.virErrorDomain.VIR_FROM_QEMU,
              libvirtMessage: 'operation aborted: migration out job: canceled by client',
            });
          }
          if (name === 'virDomainAbortJob') {
            order.push('abort');
            setTimeout(() => endJob?.(), 20);
            return 0;
          }
          return realAsync(name, ...args);
        };
        b.call = (name: string, ...args: unknown[]) => {
          if (name === 'virConnectClose') order.push('connection released');
          return realCall(name, ...args);
        };
        const closing = side === 'source' ? source : destination;
        try {
          const migrating = source.migrate('test', destination, { preflight: false });
          for (let i = 0; i < 100 && !endJob; i++) await new Promise((r) => setTimeout(r, 5));
          const closed = closing.close();
          expect(closing.closed).to.equal(true);
          let error: unknown;
          try {
            await migrating;
          } catch (e) {
            error = e;
          }
          await closed;
          expect(error).to.have.property('code', 'E_CLOSED');
          expect((error as Error).message).to.contain('(migration of test aborted)');
          expect(order).to.deep.equal(['migrate3 started', 'abort', 'migrate3 settled', 'connection released']);
        } finally {
          b.callAsync = realAsync;
          b.call = realCall;
          await source.close();
          await destination.close();
        }
      });
    }
  });
}
