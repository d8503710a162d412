import { expect } from 'chai';
import { FUNCTIONS, FunctionUnavailableError, LibvirtBinding, LibvirtError } from '../src/index.js';
import { ENGINES } from './engines.js';

for (const engine of ENGINES) {
  describe(`LibvirtBinding on ${engine}`, () => {
    let b: LibvirtBinding;
    let conn: unknown;
    before(() => {
      b = new LibvirtBinding({ engine });
      conn = b.call('virConnectOpen', 'test:///default');
    });
    after(() => b.call('virConnectClose', conn));

    it('reports the loaded libvirt version', () => {
      expect(b.version()).to.match(/^\d+\.\d+\.\d+$/);
    });

    it('turns a failed sync call into a LibvirtError with libvirt code, domain and message', () => {
      let err: unknown;
      try {
        b.call('virDomainLookupByName', conn, 'no-such-domain');
      } catch (e) {
        err = e;
      }
      expect(err).to.be.instanceOf(LibvirtError);
      const le = err as LibvirtError;
      expect(le.code).to.equal('E_NOT_FOUND');
      expect(le.libvirtCodeName).to.equal('VIR_ERR_NO_DOMAIN');
      expect(le.libvirtDomainName).to.equal('VIR_FROM_TEST');
      expect(le.libvirtMessage).to.match(/not found/i);
      expect(le.fn).to.equal('virDomainLookupByName');
    });

    it('turns a failed async call into the same typed error', async () => {
      const err = await b.callAsync('virDomainLookupByName', conn, 'no-such-domain').then(
        () => null,
        (e: unknown) => e,
      );
      expect(err).to.be.instanceOf(LibvirtError);
      expect((err as LibvirtError).libvirtCodeName).to.equal('VIR_ERR_NO_DOMAIN');
    });

    it('reads each concurrent async call its own error, captured on the worker thread that failed', async () => {
      const values = Array.from({ length: 24 }, (_, i) => `bad${i}x`);
      const calls = values.map((v, i) =>
        i % 3 === 0
          ? b.callAsync('virDomainLookupByName', conn, 'test').then((d) => {
              b.call('virDomainFree', d);
              return 'ok';
            })
          : b
              .callAsync(
                'virDomainDefineXML',
                conn,
                `<domain type='test'><name>e${i}</name><memory>${v}</memory><os><type>hvm</type></os></domain>`,
              )
              .then(
                () => 'unexpected success',
                (e: LibvirtError) => e.libvirtMessage,
              ),
      );
      const results = await Promise.all(calls);
      results.forEach((r, i) => {
        if (i % 3 === 0) expect(r).to.equal('ok');
        else expect(r).to.include(`'${values[i]}'`);
      });
    });

    it('returns owned strings freed and decoded', () => {
      const d = b.call('virDomainLookupByName', conn, 'test');
      const xml = b.call('virDomainGetXMLDesc', d, 0) as string;
      b.call('virDomainFree', d);
      expect(xml).to.match(/^<domain type='test'/);
    });

    it('gives a typed error naming the function and its version when libvirt lacks it', () => {
      const table = {
        ...FUNCTIONS,
        virDomainFromTheFuture: { since: '99.1.0', ret: { ctype: 'int', kind: 'int' as const }, args: [] },
      };
      const future = new LibvirtBinding({ engine, functions: table });
      expect(() => future.call('virDomainFromTheFuture')).to.throw(
        FunctionUnavailableError,
        /virDomainFromTheFuture.*added in libvirt 99\.1\.0/,
      );
      return future.callAsync('virDomainFromTheFuture').then(
        () => expect.fail('resolved'),
        (e: unknown) => expect((e as FunctionUnavailableError).code).to.equal('E_FUNCTION_UNAVAILABLE'),
      );
    });

    it('refuses a function the table does not know', () => {
      expect(() => b.call('virNoSuchThing')).to.throw(FunctionUnavailableError);
    });

    it('keeps the event loop free during an async call', async () => {
      let ticks = 0;
      const timer = setInterval(() => {
        ticks += 1;
      }, 5);
      const started = Date.now();
      // virEventRunDefaultImpl blocks its thread until a timer fires: here, one 150 ms away.
      b.call('virEventRegisterDefaultImpl');
      const id = b.shimCall('virtmig_add_wakeup_timer', 'int', ['int'], 150) as number;
      // One iteration may return at once for an earlier wake-up; the timer ends the wait within ~150 ms.
      for (let i = 0; i < 20 && Date.now() - started < 140; i++) await b.callAsync('virEventRunDefaultImpl');
      b.call('virEventRemoveTimeout', id);
      clearInterval(timer);
      expect(Date.now() - started).to.be.greaterThan(100);
      expect(ticks).to.be.greaterThan(5);
    });
  });
}
