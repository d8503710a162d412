import { expect } from 'chai';
import { Connection } from '../src/index.js';
import { runChild } from './child.js';
import { ENGINES } from './engines.js';

const ITERATIONS = 200;
const BARE = new URL('./bare-hypervisor.js', import.meta.url).href;

// Each kind starts calls on the worker thread, then closes (or frees) what they run on while
// they are in flight. Every call must settle: resolved, or rejected with E_CLOSED.
const CALLS: Record<string, string> = {
  listAllDomains: `c.listAllDomains().then((ds) => { for (const d of ds) d.free(); })`,
  lookupDomain: `c.lookupDomain('test').then((d) => d.free())`,
  capabilities: `c.capabilities()`,
  allDomainStats: `c.allDomainStats()`,
  'LibvirtHypervisor listDomains': `h.listDomains()`,
  'LibvirtHypervisor lookupDomain': `h.lookupDomain('test')`,
  'LibvirtHypervisor capabilitiesXml': `h.capabilitiesXml()`,
  'LibvirtHypervisor allDomainStats': `h.allDomainStats()`,
  'domain xml': `dom.xml()`,
  'domain setMemory (live)': `dom.setMemory(8388608, 1)`,
};

function closeInFlightProgram(engine: string, kind: string): string {
  // Domain kinds free the domain under their calls. A live domain holds a libvirt reference on
  // its connection, which would hide the bug the connection kinds are about: they run without one.
  const withDomain = kind.startsWith('domain');
  return `
const { BareHypervisor } = await import(${JSON.stringify(BARE)});
const counts = { resolved: 0, closed: 0 };
for (let i = 0; i < ${ITERATIONS}; i++) {
  const c = await lib.Connection.open('test:///default', { engine: ${JSON.stringify(engine)} });
  const h = new BareHypervisor(c);
  const dom = ${withDomain ? "c.lookupDomainSync('test')" : 'null'};
  const calls = [];
  for (let j = 0; j < 4; j++) calls.push(${CALLS[kind]});
  ${withDomain ? 'dom.free();' : kind.startsWith('Libvirt') ? 'h.close();' : 'c.close();'}
  for (const r of await Promise.allSettled(calls)) {
    if (r.status === 'fulfilled') counts.resolved += 1;
    else if (r.reason?.code === 'E_CLOSED') counts.closed += 1;
    else throw r.reason;
  }
  dom?.free();
  await c.close();
}
console.log(JSON.stringify(counts));`;
}

for (const engine of ENGINES) {
  describe(`connection and domain lifetime on ${engine}`, function () {
    this.timeout(60_000);

    for (const kind of Object.keys(CALLS)) {
      it(`close or free with ${kind} in flight, ${ITERATIONS} times: no crash, every call resolves or fails with E_CLOSED`, async () => {
        const run = await runChild(closeInFlightProgram(engine, kind));
        expect(run.signal, run.stderr).to.equal(null);
        expect(run.code, run.stderr).to.equal(0);
        const counts = JSON.parse(run.stdout) as { resolved: number; closed: number };
        expect(counts.resolved + counts.closed).to.equal(ITERATIONS * 4);
      });
    }

    it('a call started after close() fails with E_CLOSED at once while earlier calls complete', async () => {
      const c = await Connection.open('test:///default', { engine });
      const early = c.capabilities();
      const closing = c.close();
      expect(c.closed).to.equal(true);
      let late: unknown;
      try {
        await c.lookupDomain('test');
      } catch (e) {
        late = e;
      }
      expect(late).to.have.property('code', 'E_CLOSED');
      expect(await early).to.contain('<capabilities>');
      await closing;
    });

    it('unsubscribing from events after close() is a no-op', async () => {
      const c = await Connection.open('test:///default', { engine });
      const off = c.events.subscribe(c, () => undefined);
      await c.close();
      expect(off).to.not.throw();
    });

    it('a script awaiting events.stopped() after close() sees the loop stop', async () => {
      const run = await runChild(
        `const c = await lib.Connection.open('test:///default', { engine: ${JSON.stringify(engine)} });
await c.listAllDomains();
// Busy past one loop iteration (200 ms), so close() comes while the loop sits between iterations.
const until = Date.now() + 300;
while (Date.now() < until) c.nodeInfo();
await c.close();
await c.events.stopped();
console.log('stopped');`,
        { timeoutMs: 10_000 },
      );
      expect(run.code, run.stderr).to.equal(0);
      expect(run.stdout.trim()).to.equal('stopped');
    });

    it('a script that drops its connection without close() exits within a second', async () => {
      const run = await runChild(
        `const c = await lib.Connection.open('test:///default', { engine: ${JSON.stringify(engine)} });
await c.listAllDomains();
console.log('dropped');`,
        { mark: 'dropped', timeoutMs: 10_000 },
      );
      expect(run.code, run.stderr).to.equal(0);
      expect(run.exitAfterMarkMs).to.be.a('number').below(1000);
    });

    it('a script that used events under concurrent calls and timers, then closed its connection, exits within a second', async () => {
      const run = await runChild(
        `const c = await lib.Connection.open('test:///default', { engine: ${JSON.stringify(engine)} });
let seen = 0;
const off = c.events.subscribe(c, () => { seen += 1; });
const tick = setInterval(() => setTimeout(() => undefined, 1), 1);
await Promise.all([0, 1, 2, 3].map(async (k) => {
  for (let i = 0; i < 20; i++) {
    const d = await c.defineXml("<domain type='test'><name>exit-" + k + "-" + i + "</name><memory>65536</memory><os><type>hvm</type></os></domain>");
    await d.create(); await d.destroy(); await d.undefine(); d.free();
  }
}));
clearInterval(tick);
off();
await c.close();
console.log(seen > 0 ? 'closed' : 'no events');`,
        { mark: 'closed', timeoutMs: 10_000 },
      );
      expect(run.code, run.stderr).to.equal(0);
      expect(run.stdout.trim()).to.equal('closed');
      expect(run.exitAfterMarkMs).to.be.a('number').below(1000);
    });

    it('a garbage-collected connection releases its hold on the event loop, which then stops', async () => {
      const run = await runChild(
        `const b = lib.getBinding({ engine: ${JSON.stringify(engine)} });
await (async () => { await lib.Connection.open('test:///default', { engine: ${JSON.stringify(engine)} }); })();
const loop = lib.EventLoop.for(b);
const active0 = loop.active;
await new Promise((r) => setTimeout(r, 20));
for (let i = 0; i < 20 && lib.handleStats.finalized === 0; i++) { globalThis.gc(); await new Promise((r) => setTimeout(r, 20)); }
let timer;
await Promise.race([loop.stopped(), new Promise((r) => { timer = setTimeout(r, 2000); })]);
clearTimeout(timer);
console.log(JSON.stringify({ active0, finalized: lib.handleStats.finalized, active: loop.active }));`,
        { gc: true, timeoutMs: 15_000 },
      );
      expect(run.code, run.stderr).to.equal(0);
      expect(JSON.parse(run.stdout)).to.deep.equal({ active0: true, finalized: 1, active: false });
    });

    it('delivers every event of 200 domains defined, started, destroyed and undefined to two listeners, in order', async () => {
      const c = await Connection.open('test:///default', { engine });
      const seen: [string[], string[]] = [[], []];
      const offs = seen.map((list) =>
        c.events.subscribe(c, (e) => {
          if (e.domain.startsWith('stress-')) list.push(`${e.domain}:${e.kind}`);
        }),
      );
      const expected: string[] = [];
      try {
        for (let i = 0; i < 200; i++) {
          const name = `stress-${i}`;
          const d = await c.defineXml(
            `<domain type='test'><name>${name}</name><memory>65536</memory><os><type>hvm</type></os></domain>`,
          );
          await d.create();
          await d.destroy();
          await d.undefine();
          d.free();
          expected.push(`${name}:defined`, `${name}:started`, `${name}:stopped`, `${name}:undefined`);
        }
        for (let i = 0; i < 250 && seen[1].length < expected.length; i++) await new Promise((r) => setTimeout(r, 20));
      } finally {
        for (const off of offs) off();
        await c.close();
      }
      expect(seen[0]).to.deep.equal(expected);
      expect(seen[1]).to.deep.equal(expected);
    });

    it('1,000 concurrent failing calls each reject with their own error message', async () => {
      const c = await Connection.open('test:///default', { engine });
      try {
        const types = Array.from({ length: 1000 }, (_, i) => `bogus-${i}`);
        const results = await Promise.allSettled(
          types.map((t) => c.defineXml(`<domain type='${t}'><name>failing</name></domain>`)),
        );
        results.forEach((r, i) => {
          expect(r.status).to.equal('rejected');
          const reason = (r as PromiseRejectedResult).reason as { code: string; message: string };
          expect(reason.code).to.equal('E_INVALID_ARGUMENT');
          expect(reason.message).to.match(new RegExp(`invalid domain type ${types[i]}$`));
        });
      } finally {
        await c.close();
      }
    });
  });
}
