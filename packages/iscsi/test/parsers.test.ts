import { ParseError } from '@virtmig/core';
import { expect } from 'chai';
import {
  iscsiadmLoginSucceeded,
  parseIscsiadmAttachedDisks,
  parseIscsiadmNodes,
  parseIscsiadmSessions,
  parseIscsiLs,
  parseQemuIoDump,
  parseReadCapacity16,
  parseTargetcliFileio,
  parseTargetcliGet,
  parseTargetcliIscsi,
  parseTgtadmAccounts,
  parseTgtadmPortals,
  parseTgtadmTargets,
  tgtTargetToInfo,
} from '../src/index.js';
import { fixture } from './helpers.js';

describe('tgtadm parsers (captured tgt 1.0.85 output)', () => {
  const targets = parseTgtadmTargets(fixture('tgtadm-target-show.txt'));

  it('finds every target with its tid and name', () => {
    expect(targets.map((t) => [t.tid, t.iqn])).to.deep.equal([
      [1, 'iqn.2026-11.org.example:lab'],
      [2, 'iqn.2026-11.org.example:empty'],
      [5, 'eui.02004567A425678D'],
    ]);
  });

  it('reads LUNs with size, block size and backing store, the controller LUN without a path', () => {
    const lab = targets[0];
    expect(
      lab?.luns.map((l) => [l.lun, l.type, l.sizeMb, l.blockSize, l.backingStoreType, l.backingStorePath]),
    ).to.deep.equal([
      [0, 'controller', 0, 1, 'null', null],
      [1, 'disk', 67, 512, 'rdwr', '/tmp/exp/lun1.img'],
      [2, 'disk', 17, 512, 'rdwr', '/tmp/exp/lun2.img'],
    ]);
  });

  it('reads sessions, accounts (incoming and outgoing) and ACL entries', () => {
    const lab = targets[0];
    expect(lab?.sessions).to.deep.equal([
      {
        nexus: 1,
        initiator: 'iqn.2026-11.org.example:host1',
        alias: null,
        connections: [{ cid: 0, address: '127.0.0.1' }],
      },
    ]);
    expect(lab?.accounts).to.deep.equal(['alice']);
    expect(lab?.outgoingAccount).to.equal('tgtback');
    expect(lab?.acls).to.deep.equal(['10.0.0.0/24', 'iqn.2026-11.org.example:host1', 'iqn.2026-11.org.example:host2']);
    expect(targets[1]?.acls).to.deep.equal([]);
    expect(targets[2]?.acls).to.deep.equal(['ALL']);
  });

  it('maps to core TargetInfo: no controller LUN, names and addresses split, sizes in bytes', () => {
    expect(tgtTargetToInfo(targets[0] as never)).to.deep.equal({
      iqn: 'iqn.2026-11.org.example:lab',
      tid: 1,
      luns: [
        { lun: 1, backingStore: '/tmp/exp/lun1.img', sizeBytes: 67_000_000 },
        { lun: 2, backingStore: '/tmp/exp/lun2.img', sizeBytes: 17_000_000 },
      ],
      allowedInitiators: ['iqn.2026-11.org.example:host1', 'iqn.2026-11.org.example:host2'],
      allowedAddresses: ['10.0.0.0/24'],
      chapUsers: ['alice'],
      mutualChapUser: 'tgtback',
    });
    expect(tgtTargetToInfo(targets[2] as never).allowedAddresses).to.deep.equal(['ALL']);
  });

  it('parses accounts and portals (IPv4 and IPv6)', () => {
    expect(parseTgtadmAccounts(fixture('tgtadm-account-show.txt'))).to.deep.equal(['tgtback', 'alice']);
    expect(parseTgtadmPortals(fixture('tgtadm-portal-show.txt'))).to.deep.equal([
      { portal: { host: '::1', port: 13271 }, tpgt: 1 },
      { portal: { host: '127.0.0.1', port: 13270 }, tpgt: 1 },
    ]);
  });

  it('returns no targets for empty output and throws ParseError on foreign text', () => {
    expect(parseTgtadmTargets('')).to.deep.equal([]);
    expect(() => parseTgtadmTargets('tgtadm: can not connect to the daemon\n')).to.throw(ParseError);
    expect(() => parseTgtadmTargets('Target 1: iqn.2026-11.org.example:x\n    Bogus section:\n')).to.throw(ParseError);
  });
});

describe('libiscsi and qemu-io parsers (captured output)', () => {
  it('parses iscsi-ls with and without -s', () => {
    expect(parseIscsiLs(fixture('iscsi-ls.txt'))).to.deep.equal([
      { iqn: 'eui.02004567A425678D', portal: { host: '127.0.0.1', port: 13270 }, tpgt: 1, luns: [] },
      { iqn: 'iqn.2026-11.org.example:lab', portal: { host: '127.0.0.1', port: 13270 }, tpgt: 1, luns: [] },
    ]);
    const withLuns = parseIscsiLs(fixture('iscsi-ls-show-luns.txt'));
    expect(withLuns[1]?.luns).to.deep.equal([
      { lun: 0, type: 'STORAGE_ARRAY_CONTROLLER' },
      { lun: 1, type: 'DIRECT_ACCESS', size: '63M' },
      { lun: 2, type: 'DIRECT_ACCESS', size: '15M' },
    ]);
    expect(() => parseIscsiLs('Login Failed. Failed to log in to target.\n')).to.throw(ParseError);
  });

  it('parses iscsi-readcapacity16 and checks its figures agree', () => {
    expect(parseReadCapacity16(fixture('iscsi-readcapacity16.txt'))).to.deep.equal({
      lastLba: 32767,
      blockLength: 512,
      totalBytes: 16_777_216,
    });
    expect(() =>
      parseReadCapacity16(fixture('iscsi-readcapacity16.txt').replace('Total size:16777216', 'Total size:1')),
    ).to.throw(ParseError);
  });

  it('turns a qemu-io hex dump back into the bytes read, including a short last line', () => {
    const bytes = parseQemuIoDump(fixture('qemu-io-read-v.txt'), 8192, 40);
    expect(bytes.subarray(0, 16).toString('hex')).to.equal('6ab24752e591549561db249ea6dc51e6');
    expect(bytes.subarray(32).toString('hex')).to.equal('3b7a96f55372d018');
    expect(() => parseQemuIoDump(fixture('qemu-io-read-v.txt'), 0, 40)).to.throw(ParseError);
    expect(() => parseQemuIoDump(fixture('qemu-io-read-v.txt'), 8192, 41)).to.throw(ParseError);
  });
});

describe('targetcli parsers (configshell-fb rendered fixtures)', () => {
  it('reads targets, TPG flags, ACLs with auth mode and mapped LUNs, LUNs and portals', () => {
    const t = parseTargetcliIscsi(fixture('targetcli-ls-iscsi.txt'));
    expect(t.map((x) => x.iqn)).to.deep.equal(['iqn.2026-11.org.example:empty', 'iqn.2026-11.org.example:lab']);
    const lab = t[1];
    expect(lab?.tpgFlags).to.deep.equal(['no-gen-acls', 'auth per-acl']);
    expect(lab?.acls).to.deep.equal([
      { initiator: 'iqn.2026-11.org.example:host1', auth: 'mutual', mappedLuns: [0, 1] },
      { initiator: 'iqn.2026-11.org.example:host2', auth: '1-way', mappedLuns: [0, 1] },
    ]);
    expect(lab?.luns).to.deep.equal([
      { lun: 0, backstore: 'fileio', storageObject: 'lab-lun0', path: '/var/lib/virtmig/lab-lun0.img' },
      { lun: 1, backstore: 'fileio', storageObject: 'lab-lun1', path: '/var/lib/virtmig/lab-lun1.img' },
    ]);
    expect(lab?.portals).to.deep.equal([
      { host: '0.0.0.0', port: 3260 },
      { host: '::1', port: 3261 },
    ]);
    expect(t[0]?.acls).to.deep.equal([]);
  });

  it('ignores ANSI colours targetcli prints on a terminal', () => {
    const coloured = fixture('targetcli-ls-iscsi.txt').replace(
      /iqn\.2026-11\.org\.example:lab/g,
      '\x1b[1m\x1b[34miqn.2026-11.org.example:lab\x1b[0m',
    );
    expect(parseTargetcliIscsi(coloured)[1]?.iqn).to.equal('iqn.2026-11.org.example:lab');
  });

  it("skips the preferences warning a fresh host's targetcli prints before the tree, but not text inside it", () => {
    const warned = `Warning: Could not load preferences file /root/.targetcli/prefs.bin.\n${fixture('targetcli-ls-iscsi.txt')}`;
    expect(parseTargetcliIscsi(warned)).to.deep.equal(parseTargetcliIscsi(fixture('targetcli-ls-iscsi.txt')));
    const lines = fixture('targetcli-ls-iscsi.txt').split('\n');
    const inside = [lines[0], 'Warning: something', ...lines.slice(1)].join('\n');
    expect(() => parseTargetcliIscsi(inside)).to.throw(/line 2: unexpected/);
  });

  it('reads fileio backstores with approximate sizes', () => {
    expect(parseTargetcliFileio(fixture('targetcli-ls-fileio.txt'))).to.deep.equal([
      {
        name: 'lab-lun0',
        path: '/var/lib/virtmig/lab-lun0.img',
        sizeBytes: 64 * 2 ** 20,
        writeBack: true,
        activated: true,
      },
      {
        name: 'lab-lun1',
        path: '/var/lib/virtmig/lab-lun1.img',
        sizeBytes: 1.5 * 2 ** 30,
        writeBack: false,
        activated: true,
      },
    ]);
  });

  it('reads get auth output', () => {
    expect(parseTargetcliGet(fixture('targetcli-get-auth.txt'))).to.deep.equal({
      userid: 'alice',
      mutual_userid: 'tgtback',
    });
  });

  it('throws ParseError on text that is not a tree', () => {
    expect(() => parseTargetcliIscsi('No such path /iscsi\n')).to.throw(ParseError);
  });
});

describe('iscsiadm parsers (fixtures from open-iscsi 2.1.8 format strings)', () => {
  it('parses discovery records, IPv6 in brackets', () => {
    expect(parseIscsiadmNodes(fixture('iscsiadm-discovery.txt'))).to.deep.equal([
      { portal: { host: '127.0.0.1', port: 3260 }, tpgt: 1, iqn: 'iqn.2026-11.org.example:lab' },
      { portal: { host: '127.0.0.1', port: 3260 }, tpgt: 1, iqn: 'iqn.2026-11.org.example:empty' },
      { portal: { host: 'fd00::2', port: 3260 }, tpgt: 1, iqn: 'iqn.2026-11.org.example:lab' },
    ]);
  });

  it('parses sessions', () => {
    expect(parseIscsiadmSessions(fixture('iscsiadm-session.txt'))).to.deep.equal([
      {
        transport: 'tcp',
        sid: 1,
        portal: { host: '127.0.0.1', port: 3260 },
        tpgt: 1,
        iqn: 'iqn.2026-11.org.example:lab',
        flash: false,
      },
      {
        transport: 'tcp',
        sid: 3,
        portal: { host: 'fd00::2', port: 3261 },
        tpgt: 2,
        iqn: 'iqn.2026-11.org.example:empty',
        flash: false,
      },
    ]);
    expect(parseIscsiadmSessions('tcp: [2] 10.0.0.1:3260,1 iqn.2026-11.org.example:old\n')[0]?.flash).to.equal(
      undefined,
    );
  });

  it('finds attached disks per LUN in session -P 3 output', () => {
    expect(parseIscsiadmAttachedDisks(fixture('iscsiadm-session-P3.txt'))).to.deep.equal([
      { iqn: 'iqn.2026-11.org.example:lab', sid: 1, lun: 0, disk: 'sda', state: 'running' },
      { iqn: 'iqn.2026-11.org.example:lab', sid: 1, lun: 1, disk: 'sdb', state: 'running' },
    ]);
  });

  it('recognises a successful login for the right target only', () => {
    expect(iscsiadmLoginSucceeded(fixture('iscsiadm-login.txt'), 'iqn.2026-11.org.example:lab')).to.equal(true);
    expect(iscsiadmLoginSucceeded(fixture('iscsiadm-login.txt'), 'iqn.2026-11.org.example:other')).to.equal(false);
  });
});
