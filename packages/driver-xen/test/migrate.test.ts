import type { DomainEvent, MigrationProgress } from '@virtmig/core';
import { ENUMS, LibvirtError, type Pointer, TypedParamList } from '@virtmig/libvirt';
import { expect } from 'chai';
import sinon from 'sinon';
import { XEN_MIGRATION_OPTIONS, type XenHypervisor } from '../src/index.js';
import { rejectsWith } from './helpers.js';
import { decodeParams, LibxlSeam, type SeenParam } from './libvirt-seam.js';

const F = ENUMS.virDomainMigrateFlags;
const TEST_XML = (name: string): string =>
  `<domain type='test'><name>${name}</name><memory unit='KiB'>65536</memory><vcpu>1</vcpu><os><type arch='x86_64'>hvm</type></os></domain>`;

describe('XenHypervisor.migrate on a libxl-like binding', () => {
  let seam: LibxlSeam;
  let src: XenHypervisor;
  let dst: XenHypervisor;
  let name: string;
  let n = 0;
  const listeners: ((e: DomainEvent) => void)[] = [];
  let migrations: { params: SeenParam[]; flags: number; destConn: unknown }[];
  let peerMigrations: { uri: string; params: SeenParam[]; flags: number }[];
  let migrationStarted = 0;
  let precopyMs = 20;

  const emit = (kind: string, detail: string): void => {
    const e = { domain: name, kind, detail, at: Date.now() };
    for (const l of [...listeners]) l(e);
  };

  beforeEach(async () => {
    seam = new LibxlSeam();
    src = await seam.open();
    dst = await seam.open();
    listeners.length = 0;
    migrations = [];
    peerMigrations = [];
    for (const h of [src, dst]) {
      sinon.stub(h, 'onDomainEvent').callsFake((l: (e: DomainEvent) => void) => {
        listeners.push(l);
        return () => listeners.splice(listeners.indexOf(l), 1);
      });
    }
    name = `xen-mig-${process.pid}-${n++}`;
    precopyMs = 20;
    const d = await src.connection.defineXml(TEST_XML(name));
    await d.create();
    d.free();
    const real = seam.callAsync.wrappedMethod.bind(seam.binding);
    // libxl: completed-job statistics are refused (virCheckFlags(0)) and an active job has only time_elapsed.
    seam.callAsync
      .withArgs('virDomainGetJobStats')
      .callsFake(async (_fn: string, _dom: unknown, type: Buffer, params: Buffer, count: Buffer, flags: number) => {
        if (flags !== 0) {
          throw new LibvirtError({
            fn: 'virDomainGetJobStats',
            libvirtCode: ENUMS.virErrorNumber.VIR_ERR_INVALID_ARG,
            libvirtDomain: ENUMS.virErrorDomain.VIR_FROM_LIBXL,
            libvirtMessage: 'unsupported flags (0x1)',
          });
        }
        // libvirt allocates the array and the caller frees it with virTypedParamsFree, as with libxl.
        const list = new TypedParamList(seam.binding, [
          { name: 'time_elapsed', type: 'ullong', value: Date.now() - migrationStarted },
        ]);
        params.writeBigUInt64LE(seam.binding.engine.address(list.pointer), 0);
        count.writeInt32LE(list.length, 0);
        type.writeInt32LE(ENUMS.virDomainJobType.VIR_DOMAIN_JOB_UNBOUNDED, 0);
        return 0;
      });
    seam.callAsync
      .withArgs('virDomainMigrate3')
      .callsFake(async (_fn: string, _dom: unknown, destConn: Pointer, list: Pointer, count: number, flags: number) => {
        migrations.push({ params: decodeParams(seam.binding, list, count), flags, destConn });
        migrationStarted = Date.now();
        await new Promise((r) => setTimeout(r, precopyMs));
        emit('suspended', 'migrated');
        await new Promise((r) => setTimeout(r, 60));
        emit('resumed', 'migrated');
        return real('virDomainLookupByName', destConn, name);
      });
    seam.callAsync
      .withArgs('virDomainMigrateToURI3')
      .callsFake(async (_fn: string, _dom: unknown, uri: string, list: Pointer, count: number, flags: number) => {
        peerMigrations.push({ uri, params: decodeParams(seam.binding, list, count), flags });
        migrationStarted = Date.now();
        await new Promise((r) => setTimeout(r, precopyMs));
        emit('suspended', 'migrated');
        await new Promise((r) => setTimeout(r, 60));
        emit('resumed', 'migrated');
        return 0;
      });
  });

  afterEach(async () => {
    await src.destroyDomain(name).catch(() => undefined);
    await src.undefineDomain(name).catch(() => undefined);
    await src.close();
    await dst.close();
    seam.restore();
  });

  it('calls virDomainMigrate3 on the destination connection with LIVE|PERSIST_DEST|UNDEFINE_SOURCE and migrate_uri as a string', async () => {
    await src.migrate(name, dst, {
      // Source and destination are one test:///default host: the preflight would refuse the name.
      preflight: false,
      persistDestination: true,
      undefineSource: true,
      migrateUri: 'tcp://10.0.0.2:49152',
    });
    expect(migrations).to.have.length(1);
    expect(migrations[0]?.flags).to.equal(
      F.VIR_MIGRATE_LIVE | F.VIR_MIGRATE_PERSIST_DEST | F.VIR_MIGRATE_UNDEFINE_SOURCE,
    );
    expect(migrations[0]?.params).to.deep.equal([
      { name: 'migrate_uri', type: 'string', value: 'tcp://10.0.0.2:49152' },
    ]);
    expect(seam.binding.engine.readBytes(migrations[0]?.destConn as Pointer, 0, 8)).to.deep.equal(
      seam.binding.engine.readBytes(dst.connection.pointer, 0, 8),
    );
  });

  it('peerUri with tunnelled calls virDomainMigrateToURI3 on the peer URI with LIVE|PEER2PEER|TUNNELLED and finds the guest through the destination connection', async () => {
    const r = await src.migrate(name, dst, { preflight: false, peerUri: 'xen+tls://xen-b/system', tunnelled: true });
    expect(migrations).to.have.length(0);
    expect(peerMigrations).to.deep.equal([
      {
        uri: 'xen+tls://xen-b/system',
        params: [],
        flags: F.VIR_MIGRATE_LIVE | F.VIR_MIGRATE_PEER2PEER | F.VIR_MIGRATE_TUNNELLED,
      },
    ]);
    expect(r).to.include({ domain: name, destinationUri: dst.uri, downtimeSource: 'events' });
  });

  it('peerUri without tunnelled is peer-to-peer with the data on migrate_uri', async () => {
    await src.migrate(name, dst, { preflight: false, peerUri: 'xen+tls://xen-b/system', migrateUri: 'tcp://10.0.0.2' });
    expect(peerMigrations[0]?.flags).to.equal(F.VIR_MIGRATE_LIVE | F.VIR_MIGRATE_PEER2PEER);
    expect(peerMigrations[0]?.params).to.deep.equal([{ name: 'migrate_uri', type: 'string', value: 'tcp://10.0.0.2' }]);
  });

  const badPeer: [string, Record<string, unknown>][] = [
    ['tunnelled without peerUri', { tunnelled: true }],
    ['tunnelled with migrateUri', { tunnelled: true, peerUri: 'xen+tls://xen-b/system', migrateUri: 'tcp://10.0.0.2' }],
    ['a peerUri that is not a URI', { peerUri: 'xen-b' }],
    ['a tunnelled that is not a boolean', { tunnelled: 'yes', peerUri: 'xen+tls://xen-b/system' }],
  ];
  for (const [what, opts] of badPeer) {
    it(`refuses ${what} with E_INVALID_ARGUMENT before libvirt runs`, async () => {
      await rejectsWith(src.migrate(name, dst, opts), 'E_INVALID_ARGUMENT');
      expect(migrations.length + peerMigrations.length).to.equal(0);
      expect((await src.lookupDomain(name)).state).to.equal('running');
    });
  }

  it('a failed peer-to-peer migration throws E_MIGRATION_FAILED naming the peer URI, guest still running on the source', async () => {
    seam.callAsync.withArgs('virDomainMigrateToURI3').rejects(
      new LibvirtError({
        fn: 'virDomainMigrateToURI3',
        libvirtCode: ENUMS.virErrorNumber.VIR_ERR_SYSTEM_ERROR,
        libvirtDomain: ENUMS.virErrorDomain.VIR_FROM_RPC,
        libvirtMessage: 'authentication failed: TLS handshake failed',
      }),
    );
    const err = await rejectsWith(
      src.migrate(name, dst, { preflight: false, peerUri: 'xen+tls://xen-b/system', tunnelled: true }),
      'E_MIGRATION_FAILED',
    );
    expect(err.message).to.contain('peer-to-peer via xen+tls://xen-b/system');
    expect(err.details.sourceState).to.equal('running');
  });

  it('live: false drops VIR_MIGRATE_LIVE and sends no parameters', async () => {
    await src.migrate(name, dst, { preflight: false, live: false });
    expect(migrations[0]?.flags).to.equal(0);
    expect(migrations[0]?.params).to.deep.equal([]);
  });

  it('fills downtime from the suspended and resumed events, as libxl reports none', async () => {
    const r = await src.migrate(name, dst, { preflight: false });
    expect(r.downtimeSource).to.equal('events');
    expect(r.downtimeMs).to.be.within(50, 200);
    expect(r.postCopy).to.equal(false);
    expect(r.raw).not.to.have.property('downtime');
  });

  it('fills downtime from the guest heartbeat when a heartbeatLog is given, reading it before and after', async () => {
    const logs = ['HB 1 1000\nHB 2 1100\n', 'HB 1 1000\nHB 2 1100\nHB 3 1450\nHB 4 1550\n'];
    const heartbeatLog = sinon.stub().callsFake(async () => logs.shift());
    const r = await src.migrate(name, dst, { preflight: false, heartbeatLog });
    expect(heartbeatLog.callCount).to.equal(2);
    expect(r).to.include({ downtimeMs: 350, downtimeSource: 'heartbeat' });
  });

  it('onProgress gets samples whose only libxl figure is the elapsed time', async () => {
    precopyMs = 300;
    const samples: MigrationProgress[] = [];
    await src.migrate(name, dst, { preflight: false, onProgress: (p) => samples.push(p) });
    expect(samples.length).to.be.at.least(2);
    for (const p of samples) expect(p).to.include({ dataTotalBytes: 0, dataProcessedBytes: 0, dataRemainingBytes: 0 });
    // No data figures: the phase follows the lifecycle events, and a last sample closes the bar.
    expect(samples[0]?.phase).to.equal('setup');
    expect(samples.map((p) => p.phase)).to.satisfy((ps: string[]) =>
      ps.every((p) => ['setup', 'stop-and-copy', 'completing'].includes(p)),
    );
    expect(samples.at(-1)?.phase).to.equal('completing');
    expect(samples.at(-1)?.elapsedMs).to.be.greaterThan(samples[0]?.elapsedMs ?? Infinity);
  });

  it('refuses a heartbeatLog that is not a function with E_INVALID_ARGUMENT', async () => {
    await rejectsWith(
      src.migrate(name, dst, { preflight: false, heartbeatLog: 'log' as unknown as () => Promise<string> }),
      'E_INVALID_ARGUMENT',
    );
    expect(migrations).to.have.length(0);
  });

  const refused = [
    'postCopy',
    'maxDowntimeMs',
    'bandwidthMiBps',
    'autoConverge',
    'compression',
    'parallelConnections',
    'tls',
    'timeoutMs',
    'signal',
  ] as const;
  const sample = {
    postCopy: true,
    maxDowntimeMs: 300,
    bandwidthMiBps: 100,
    autoConverge: true,
    compression: ['xbzrle'],
    parallelConnections: 2,
    tls: true,
    timeoutMs: 1000,
    signal: new AbortController().signal,
  };
  for (const key of refused) {
    it(`refuses ${key}, which libxl's driver does not offer, with E_UNSUPPORTED before virDomainMigrate3`, async () => {
      expect(XEN_MIGRATION_OPTIONS.has(key)).to.equal(false);
      await rejectsWith(src.migrate(name, dst, { preflight: false, [key]: sample[key] }), 'E_UNSUPPORTED');
      expect(migrations).to.have.length(0);
      expect((await src.lookupDomain(name)).state).to.equal('running');
    });
  }

  it('is not PostCopyCapable', () => {
    expect((src as { supportsPostCopy?: unknown }).supportsPostCopy).to.equal(undefined);
  });

  it('a failed virDomainMigrate3 throws E_MIGRATION_FAILED and reports the guest still running on the source', async () => {
    seam.callAsync.withArgs('virDomainMigrate3').rejects(
      new LibvirtError({
        fn: 'virDomainMigrate3',
        libvirtCode: ENUMS.virErrorNumber.VIR_ERR_OPERATION_FAILED,
        libvirtDomain: ENUMS.virErrorDomain.VIR_FROM_LIBXL,
        libvirtMessage: 'Failed to send migration data to destination host',
      }),
    );
    const err = await rejectsWith(src.migrate(name, dst, { preflight: false }), 'E_MIGRATION_FAILED');
    expect(err.details.sourceState).to.equal('running');
  });
});
