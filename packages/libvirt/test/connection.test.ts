import { expect } from 'chai';
import { Connection, EventLoop, handleStats } from '../src/index.js';
import { BareHypervisor } from './bare-hypervisor.js';
import { ENGINES } from './engines.js';

const gc = (globalThis as { gc?: () => void }).gc;

for (const engine of ENGINES) {
  describe(`Connection and Domain on ${engine}`, () => {
    let conn: Connection;
    beforeEach(async () => {
      conn = await Connection.open('test:///default', { engine });
    });
    afterEach(() => conn.close());

    it('opens the embedded test driver without a daemon and reads node info', () => {
      expect(conn.type()).to.equal('TEST');
      expect(conn.nodeInfo().cpus).to.be.greaterThan(0);
      expect(conn.isAlive()).to.equal(true);
    });

    it('lists domains and frees every handle it hands out exactly once', async () => {
      const before = { ...handleStats };
      const doms = await conn.listAllDomains();
      expect(doms.map((d) => d.name())).to.include('test');
      for (const d of doms) {
        d.free();
        d.free();
      }
      expect(handleStats.created - before.created).to.equal(doms.length);
      expect(handleStats.freed - before.freed).to.equal(doms.length);
    });

    it('throws E_CLOSED when a freed domain or closed connection is used', async () => {
      const d = await conn.lookupDomain('test');
      d.free();
      expect(() => d.name())
        .to.throw()
        .with.property('code', 'E_CLOSED');
      const other = await Connection.open('test:///default', { engine });
      other.close();
      other.close();
      expect(() => other.nodeInfo())
        .to.throw()
        .with.property('code', 'E_CLOSED');
    });

    it('frees dropped handles through the finalizer safety net', async () => {
      if (!gc) throw new Error('run mocha with --node-option expose-gc (the package test script does)');
      const before = handleStats.finalized;
      for (let i = 0; i < 50; i++) await conn.lookupDomain('test');
      for (let i = 0; i < 5 && handleStats.finalized === before; i++) {
        gc?.();
        await new Promise((r) => setTimeout(r, 20));
      }
      expect(handleStats.finalized).to.be.greaterThan(before);
    });

    it('reads all-domain stats as typed parameters', async () => {
      const recs = await conn.allDomainStats();
      const t = recs.find((r) => r.name === 'test');
      expect(t?.stats['state.state']).to.equal(1);
    });

    it("delivers lifecycle events from libvirt's event loop to JS listeners", async () => {
      const seen: string[] = [];
      const off = conn.events.subscribe(conn, (e) => seen.push(`${e.domain}:${e.kind}:${e.detail}`));
      const d = await conn.defineXml(
        "<domain type='test'><name>evt</name><memory>65536</memory><os><type>hvm</type></os></domain>",
      );
      await d.create();
      await d.destroy();
      await d.undefine();
      d.free();
      for (let i = 0; i < 50 && seen.length < 4; i++) await new Promise((r) => setTimeout(r, 20));
      off();
      expect(seen).to.deep.equal([
        'evt:defined:added',
        'evt:started:booted',
        'evt:stopped:destroyed',
        'evt:undefined:removed',
      ]);
    });

    it('stops the event-loop worker once the last connection closes', async () => {
      conn.close();
      const loop = EventLoop.for(conn.binding);
      await loop.stopped();
      expect(loop.active).to.equal(false);
    });
  });
}

describe('Connection.close on a dead connection', () => {
  it('closes and releases the event loop even when deregistering callbacks fails', async () => {
    const conn = await Connection.open('test:///default');
    conn.events.subscribe(conn, () => undefined);
    const b = conn.binding;
    const real = b.call.bind(b);
    b.call = (name: string, ...args: unknown[]) => {
      if (name === 'virConnectDomainEventDeregisterAny') throw new Error('Cannot write data: Broken pipe');
      return real(name, ...args);
    };
    try {
      conn.close();
    } finally {
      b.call = real;
    }
    expect(conn.closed).to.equal(true);
  });
});

describe('EventLoop resilience', () => {
  it('keeps running after an iteration fails, so events and keepalives keep flowing', async () => {
    const conn = await Connection.open('test:///default');
    const b = conn.binding;
    const real = b.callAsync.bind(b);
    let failures = 0;
    b.callAsync = async (name: string, ...args: unknown[]) => {
      if (name === 'virEventRunDefaultImpl' && failures < 3) {
        failures += 1;
        throw new Error('End of file while reading data: Input/output error');
      }
      return real(name, ...args);
    };
    const seen: string[] = [];
    try {
      const off = conn.events.subscribe(conn, (e) => seen.push(`${e.domain}:${e.kind}`));
      const d = await conn.defineXml(
        "<domain type='test'><name>resilient</name><memory>65536</memory><os><type>hvm</type></os></domain>",
      );
      await d.undefine();
      d.free();
      for (let i = 0; i < 100 && seen.length < 2; i++) await new Promise((r) => setTimeout(r, 20));
      off();
    } finally {
      b.callAsync = real;
      conn.close();
    }
    expect(failures).to.equal(3);
    expect(seen).to.deep.equal(['resilient:defined', 'resilient:undefined']);
  });
});

describe('LibvirtHypervisor.allDomainStats without virConnectGetAllDomainStats', () => {
  it('gathers state, CPU time, memory and vCPUs per domain when the driver lacks the call (libxl)', async () => {
    const { LibvirtError, ENUMS } = await import('../src/index.js');
    const conn = await Connection.open('test:///default');
    const h = new BareHypervisor(conn);
    const b = conn.binding;
    const real = b.callAsync.bind(b);
    b.callAsync = async (name: string, ...args: unknown[]) => {
      if (name === 'virConnectGetAllDomainStats') {
        throw new LibvirtError({
          fn: name,
          libvirtCode: ENUMS.virErrorNumber.VIR_ERR_NO_SUPPORT,
          libvirtDomain: ENUMS.virErrorDomain.VIR_FROM_LIBXL,
          libvirtMessage: 'this function is not supported by the connection driver',
        });
      }
      return real(name, ...args);
    };
    try {
      const stats = await h.allDomainStats();
      const t = stats.find((s) => s.name === 'test');
      expect(t?.state).to.equal('running');
      expect(t?.vcpus).to.equal(2);
      expect(t?.cpuTimeNs).to.be.a('number').greaterThan(0);
    } finally {
      b.callAsync = real;
      await h.close();
    }
  });
});
