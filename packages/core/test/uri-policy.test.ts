import { expect } from 'chai';
import fc from 'fast-check';
import {
  assertPeerToPeerOptions,
  DriverRegistry,
  type Hypervisor,
  InvalidArgumentError,
  isVirtmigError,
  parseMigrateUri,
  parseSafeUri,
  parseUri,
  UNSAFE_URI_PARAMETERS,
  type UriPolicyOptions,
  unsafeUriParameterReason,
  VirtmigError,
} from '../src/index.js';

function refusal(fn: () => unknown): InvalidArgumentError {
  try {
    fn();
  } catch (e) {
    if (e instanceof InvalidArgumentError) return e;
    throw e;
  }
  throw new Error('expected E_INVALID_ARGUMENT, nothing was thrown');
}

const GOOD: string[] = [
  'test:///default',
  'qemu:///system',
  'qemu:///session',
  'xen:///system',
  'qemu+unix:///system?socket=/run/virtmig-lab/vmlab/a/sock/libvirt-sock',
  'qemu:///system?mode=direct',
  'qemu+ssh://root@host.example:2222/system',
  'qemu+ssh://host/system?no_tty=1&mode=legacy&proxy=native&socket=/var/run/libvirt/libvirt-sock',
  'qemu+libssh://user@host/system?sshauth=agent,privkey&known_hosts_verify=normal',
  'qemu+libssh2://user@10.0.0.2/system?proxy=netcat',
  'qemu+tcp://10.77.0.2/system',
  'qemu+tcp://[fd00::2]:16509/system?auth=sasl.digest-md5',
  'xen+tls://127.0.0.1:40102/system?pkipath=/run/virtmig-xenlab/state/pki/client',
  'xen+tls://xen-b/system',
  'qemu://host/system',
  'test+tcp://localhost:5000/default',
];

// [uri, the parameter (or part) the error must name]
const BAD: [string, string][] = [
  ['qemu+ssh://h/system?command=/tmp/x', 'command'],
  ['qemu+ssh://h/system?COMMAND=/tmp/x', 'command'],
  ['qemu+ssh://h/system?Command=/tmp/x', 'command'],
  ['qemu+ssh://h/system?%63ommand=/tmp/x', 'command'],
  ['qemu+ssh://h/system?command=x&command=y', 'command'],
  ['qemu+ssh://h/system?no_tty=1&command=/tmp/x', 'command'],
  ['qemu+ssh://h/system?netcat=/tmp/x', 'netcat'],
  ['qemu+libssh://h/system?netcat=/tmp/x', 'netcat'],
  ['qemu+ssh://h/system?keyfile=/root/.ssh/id_rsa', 'keyfile'],
  ['qemu+libssh2://h/system?known_hosts=/etc/passwd', 'known_hosts'],
  ['qemu+libssh://h/system?known_hosts_verify=ignore', 'known_hosts_verify'],
  ['qemu+libssh://h/system?sshauth=agent,gssapi', 'sshauth'],
  ['qemu+ssh://h/system?name=test:///etc/shadow', 'name'],
  ['qemu+tcp://h/system?name=qemu%2Bssh://x/system%3Fcommand%3D/tmp/x', 'name'],
  ['qemu+tcp://h/system?authfile=/etc/shadow', 'authfile'],
  ['qemu+tls://h/system?no_verify=1', 'no_verify'],
  ['qemu+ssh://h/system?no_verify=1', 'no_verify'],
  ['qemu+tls://h/system?no_sanity=1', 'no_sanity'],
  ['qemu+tls://h/system?tls_priority=NONE:+NULL', 'tls_priority'],
  ['qemu+tls://h/system?pkipath=relative/dir', 'pkipath'],
  ['qemu+ssh://h/system?socket=/x%27%20reboot', 'socket'],
  ['qemu+unix:///system?socket=../../etc/x', 'socket'],
  ['qemu+unix:///system?socket=/a/../b', 'socket'],
  ['qemu+ssh://h/system?mode=evil', 'mode'],
  ['qemu+ssh://h/system?proxy=/tmp/x', 'proxy'],
  ['qemu+ssh://h/system?no_tty=yes', 'no_tty'],
  ['qemu+tcp://h/system?auth=/tmp/x', 'auth'],
  // Parameters honoured by another transport only.
  ['qemu+unix:///system?command=/tmp/x', 'command'],
  ['qemu:///system?command=/tmp/x', 'command'],
  ['qemu+tcp://h/system?socket=/x', 'socket'],
  ['qemu+tls://h/system?keyfile=/k', 'keyfile'],
  ['qemu:///embed?root=/tmp/x', 'root'],
  ['test:///default?x=1', 'x'],
  // The ext transport runs its command by definition.
  ['qemu+ext:///system?command=/tmp/x', 'command'],
  ['qemu+ext:///system', 'command'],
  ['QEMU+SSH://h/system?command=/tmp/x', 'command'],
];

// [uri, a phrase the message must carry]
const BAD_SHAPE: [string, string][] = [
  ['qemu+ssh://h/system?socket=/x;command=/tmp/x', ';'],
  ['qemu+ssh://h/system#?command=/tmp/x', 'fragment'],
  ['qemu+ssh://h/system?no_tty=1#command=/tmp/x', 'fragment'],
  ['qemu+ssh://-oProxyCommand=x/system', 'host'],
  ['qemu+ssh://-x@h/system', 'user'],
  ['qemu+ssh://root:hunter2@h/system', 'password'],
  ['qemu+carrier://h/system', 'transport'],
  ['test:///etc/shadow', 'test:///PATH'],
  ['test:///tmp/node.xml', 'test:///PATH'],
  ['test:///x/../default', 'segments'],
  ['test:///%2e/default', 'segments'],
];

describe('URI policy (parseSafeUri)', () => {
  for (const uri of GOOD) {
    it(`accepts ${uri}`, () => {
      expect(parseSafeUri(uri).uri).to.equal(uri);
    });
  }

  for (const [uri, parameter] of BAD) {
    it(`refuses ${uri} naming ${parameter}`, () => {
      const e = refusal(() => parseSafeUri(uri, {}, 'hosts[0].source'));
      expect(e.code).to.equal('E_INVALID_ARGUMENT');
      expect(e.field).to.equal('hosts[0].source');
      expect(e.details.parameter).to.equal(parameter);
      expect(e.message).to.contain(`"${parameter}"`);
    });
  }

  for (const [uri, phrase] of BAD_SHAPE) {
    it(`refuses ${uri} (${phrase})`, () => {
      expect(() => parseSafeUri(uri))
        .to.throw(VirtmigError, phrase)
        .with.property('code')
        .that.is.oneOf(['E_INVALID_ARGUMENT', 'E_INVALID_URI']);
    });
  }

  it('says why each refused parameter is refused', () => {
    for (const p of UNSAFE_URI_PARAMETERS) expect(unsafeUriParameterReason(p)).to.be.a('string').that.is.not.empty;
    expect(refusal(() => parseSafeUri('qemu+ssh://h/system?command=/x')).message).to.contain('runs on this machine');
  });

  it('never echoes a password given in the URI', () => {
    expect(refusal(() => parseSafeUri('qemu+ssh://root:hunter2@h/system')).message).not.to.contain('hunter2');
  });

  it('never echoes a refused value', () => {
    expect(refusal(() => parseSafeUri('qemu+ssh://h/system?keyfile=/home/u/secret-key')).message).not.to.contain(
      'secret-key',
    );
  });

  it('lets a caller opt in to exactly the parameters it names', () => {
    const keyfile: UriPolicyOptions = { allowUnsafeUriParameters: ['keyfile'] };
    expect(parseSafeUri('qemu+ssh://h/system?keyfile=/k', keyfile).params).to.deep.equal({ keyfile: '/k' });
    expect(
      refusal(() => parseSafeUri('qemu+ssh://h/system?keyfile=/k&command=/x', keyfile)).details.parameter,
    ).to.equal('command');
    expect(
      parseSafeUri('qemu+ext:///system?command=/usr/bin/tunnel', { allowUnsafeUriParameters: ['command'] }).transport,
    ).to.equal('ext');
    expect(parseSafeUri('test:///tmp/node.xml', { allowTestNodeFile: true }).path).to.equal('/tmp/node.xml');
  });

  it('refuses an opt-in list naming a parameter that is not a refused one', () => {
    const e = refusal(() => parseSafeUri('qemu:///system', { allowUnsafeUriParameters: ['socket' as never] }));
    expect(e.field).to.equal('allowUnsafeUriParameters');
  });

  it('never crashes on random input: it returns or throws a VirtmigError', () => {
    const uriish = fc.oneof(
      fc.string(),
      fc.string({ unit: 'binary' }),
      fc
        .tuple(
          fc.constantFrom('qemu', 'test', 'xen', 'QEMU', 'tcp', 'unix', 'x'),
          fc.constantFrom('', '+ssh', '+unix', '+ext', '+tls', '+libssh2', '+SSH'),
          fc.webAuthority(),
          fc.webPath(),
          fc.webQueryParameters(),
          fc.webFragments(),
        )
        .map(([d, t, a, p, q, f]) => `${d}${t}://${a}${p}?${q}#${f}`),
      fc.webUrl({ withQueryParameters: true, withFragments: true }),
    );
    fc.assert(
      fc.property(uriish, (s) => {
        for (const fn of [() => parseUri(s), () => parseSafeUri(s), () => parseMigrateUri(s)]) {
          try {
            fn();
          } catch (e) {
            if (!(e instanceof VirtmigError)) throw e;
          }
        }
      }),
      { numRuns: 2000 },
    );
  });
});

describe('parseUri', () => {
  it('refuses bad percent-encoding with E_INVALID_URI instead of a URIError', () => {
    expect(() => parseUri('qemu:///sys%E0%A4%A'))
      .to.throw()
      .with.property('code', 'E_INVALID_URI');
  });
});

describe('parseMigrateUri', () => {
  for (const [uri, parts] of [
    ['tcp://10.77.0.2:49152', { scheme: 'tcp', host: '10.77.0.2', port: 49152 }],
    ['tcp://10.77.0.2', { scheme: 'tcp', host: '10.77.0.2', port: undefined }],
    ['tcp://dst.example/', { scheme: 'tcp', host: 'dst.example' }],
    ['tcp://[fd00::2]:49152', { scheme: 'tcp', host: '[fd00::2]', port: 49152 }],
    ['rdma://10.0.0.2:4444', { scheme: 'rdma', host: '10.0.0.2', port: 4444 }],
    ['unix:///run/migrate.sock', { scheme: 'unix', host: '', path: '/run/migrate.sock' }],
  ] as const) {
    it(`parses ${uri}`, () => {
      expect(parseMigrateUri(uri)).to.include(parts);
    });
  }

  for (const uri of [
    'tcp://h;rm -rf /',
    'tcp://h?x=1',
    'tcp://h#x',
    'tcp://u@h:1',
    'tcp://h/path',
    'tcp://',
    'http://h',
    'qemu+ssh://h/system',
    'exec://sh -c x',
    'exec:sh',
    'fd://3',
    'unix://h/sock',
    'unix:///../x',
    'tcp://-oX',
  ]) {
    it(`refuses ${JSON.stringify(uri)} with E_INVALID_ARGUMENT`, () => {
      expect(refusal(() => parseMigrateUri(uri, '--migrate-uri')).field).to.equal('--migrate-uri');
    });
  }
});

describe('migration options go through the URI policy', () => {
  it('refuses a peerUri with command= and a migrateUri with a query', () => {
    expect(refusal(() => assertPeerToPeerOptions({ peerUri: 'qemu+ssh://b/system?command=/x' })).field).to.equal(
      'options.peerUri',
    );
    expect(refusal(() => assertPeerToPeerOptions({ migrateUri: 'tcp://b:1?x=y' })).field).to.equal(
      'options.migrateUri',
    );
  });
});

describe('DriverRegistry.connect goes through the URI policy', () => {
  it('refuses a refused parameter before the factory runs, and passes the opt-in through', async () => {
    const r = new DriverRegistry();
    const seen: string[] = [];
    r.register('qemu', async (u) => {
      seen.push(u.uri);
      return {} as Hypervisor;
    });
    const err = await r.connect('qemu+ssh://h/system?command=/tmp/x').catch((e: unknown) => e);
    expect(isVirtmigError(err, 'E_INVALID_ARGUMENT')).to.equal(true);
    expect(seen).to.deep.equal([]);
    await r.connect('qemu+ssh://h/system?keyfile=/k', { allowUnsafeUriParameters: ['keyfile'] });
    expect(seen).to.deep.equal(['qemu+ssh://h/system?keyfile=/k']);
  });
});
