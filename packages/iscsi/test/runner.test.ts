import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { InvalidArgumentError, TimeoutError } from '@virtmig/core';
import { expect } from 'chai';
import { CommandFailedError, LocalRunner, redact, SshRunner, shellQuote } from '../src/index.js';
import { spyRunner } from './helpers.js';

const SECRET = 'topsecret-1234';

describe('LocalRunner', () => {
  const runner = new LocalRunner({ timeoutMs: 10_000 });

  it('passes arguments verbatim, without a shell', async () => {
    const args = ['a b', '$(id)', '`x`', "it's", ';', '*'];
    const r = await runner.run(process.execPath, ['-e', 'console.log(JSON.stringify(process.argv.slice(1)))', ...args]);
    expect(JSON.parse(r.stdout)).to.deep.equal(args);
  });

  it('feeds input on stdin and returns stdout as text and bytes', async () => {
    const r = await runner.run('cat', [], { input: Buffer.from([0, 1, 2, 255]) });
    expect([...r.stdoutBytes]).to.deep.equal([0, 1, 2, 255]);
  });

  it('puts secret environment variables into the child environment', async () => {
    const r = await runner.run(process.execPath, ['-e', 'process.stdout.write(process.env.VM_SECRET)'], {
      secretEnv: { VM_SECRET: SECRET },
    });
    expect(r.stdout).to.equal(SECRET);
  });

  it('throws CommandFailedError with exit code and stderr, secrets redacted from argv, stderr and message', async () => {
    const logged: string[] = [];
    const r = new LocalRunner({ logger: (l) => logged.push(l) });
    try {
      await r.run(process.execPath, ['-e', `console.error("bad password ${SECRET}"); process.exit(3)`, SECRET], {
        secrets: [SECRET],
      });
      expect.fail('no error');
    } catch (e) {
      expect(e).to.be.instanceOf(CommandFailedError);
      const c = e as CommandFailedError;
      expect(c.code).to.equal('E_COMMAND_FAILED');
      expect(c.exitCode).to.equal(3);
      expect(c.stderr).to.include('bad password ***');
      for (const text of [
        c.message,
        c.stderr,
        JSON.stringify(c.argv),
        JSON.stringify(c.details),
        String(c.stack),
        ...logged,
      ]) {
        expect(text).not.to.include(SECRET);
      }
      expect(logged.length).to.be.greaterThan(0);
    }
  });

  it('reports a missing program as CommandFailedError without an exit code', async () => {
    try {
      await runner.run('/nonexistent/virtmig-tool', []);
      expect.fail('no error');
    } catch (e) {
      expect(e).to.be.instanceOf(CommandFailedError);
      expect((e as CommandFailedError).exitCode).to.equal(null);
    }
  });

  it('kills a command that outlives its timeout and throws TimeoutError', async () => {
    const t0 = Date.now();
    try {
      await runner.run('sleep', ['5'], { timeoutMs: 200 });
      expect.fail('no error');
    } catch (e) {
      expect(e).to.be.instanceOf(TimeoutError);
      expect(Date.now() - t0).to.be.lessThan(2000);
    }
  });
});

describe('redact', () => {
  it('replaces every occurrence, longest secret first', () => {
    expect(redact('abc abcdef abc', ['abc', 'abcdef'])).to.equal('*** *** ***');
  });
});

describe('shellQuote', () => {
  it('round-trips hostile words through a real POSIX shell', async () => {
    const words = ["it's", 'a b', '$(id)', '`id`', '"q"', '\\', ';|&<>', '*?[', '\n', '', '-rf', "'''"];
    const script = `for a in ${words.map(shellQuote).join(' ')}; do printf '%s\\0' "$a"; done`;
    const r = await new LocalRunner().run('sh', ['-c', script]);
    expect(r.stdout.split('\0').slice(0, -1)).to.deep.equal(words);
  });

  it('refuses NUL bytes', () => {
    expect(() => shellQuote('a\0b')).to.throw(InvalidArgumentError);
  });
});

describe('SshRunner', () => {
  it('builds the ssh argv with host-key options, port, user, identity and extra options', async () => {
    const spy = spyRunner();
    const ssh = new SshRunner({
      host: 'storage1.example',
      user: 'root',
      port: 2222,
      identityFile: '/root/.ssh/lab',
      strictHostKeyChecking: 'accept-new',
      knownHostsFile: '/root/.ssh/lab_known_hosts',
      sshOptions: { ConnectTimeout: '5' },
      local: spy.runner,
    });
    await ssh.run('tgtadm', ['--mode', 'target', '--op', 'show']);
    expect(spy.argvs()).to.deep.equal([
      [
        'ssh',
        '-T',
        '-o',
        'BatchMode=yes',
        '-o',
        'StrictHostKeyChecking=accept-new',
        '-o',
        'UserKnownHostsFile=/root/.ssh/lab_known_hosts',
        '-i',
        '/root/.ssh/lab',
        '-p',
        '2222',
        '-l',
        'root',
        '-o',
        'ConnectTimeout=5',
        '--',
        'storage1.example',
        "exec 'tgtadm' '--mode' 'target' '--op' 'show'",
      ],
    ]);
  });

  it('checks host keys strictly by default', () => {
    expect(new SshRunner({ host: 'h', local: spyRunner().runner }).sshArgs('true')).to.include(
      'StrictHostKeyChecking=yes',
    );
  });

  it('sends secret variables on stdin, never on the command line', async () => {
    const spy = spyRunner();
    const ssh = new SshRunner({ host: 'h', local: spy.runner });
    await ssh.run('iscsi-ls', ['-i', 'iqn.2026-11.org.example:h'], {
      env: { LIBISCSI_CHAP_USERNAME: 'alice' },
      secretEnv: { LIBISCSI_CHAP_PASSWORD: SECRET },
    });
    const call = spy.run.getCall(0);
    expect(JSON.stringify(call.args[1])).not.to.include(SECRET);
    expect(String(call.args[2]?.input)).to.equal(`${SECRET}\n`);
    expect(call.args[2]?.secrets).to.include(SECRET);
  });

  it('rejects hosts and options that would read as ssh options or carry metacharacters', () => {
    for (const host of ['-oProxyCommand=id', 'a b', 'h;id', ''])
      expect(() => new SshRunner({ host })).to.throw(InvalidArgumentError);
    expect(() => new SshRunner({ host: 'h', user: '-l' })).to.throw(InvalidArgumentError);
    expect(() => new SshRunner({ host: 'h', sshOptions: { ProxyCommand: 'sh -c id' } })).to.throw(InvalidArgumentError);
  });

  describe('through a stand-in ssh that runs the remote command with sh', () => {
    let dir: string;
    let fakeSsh: string;
    before(() => {
      dir = mkdtempSync(join(tmpdir(), 'virtmig-ssh-'));
      fakeSsh = join(dir, 'ssh');
      // Like ssh, hands its last argument to the (remote) shell; stdin flows through.
      writeFileSync(fakeSsh, '#!/bin/sh\nfor a; do last=$a; done\nexec sh -c "$last"\n');
      chmodSync(fakeSsh, 0o755);
    });
    after(() => rmSync(dir, { recursive: true, force: true }));

    it('delivers arguments, plain and secret variables, and the remaining stdin intact', async () => {
      const ssh = new SshRunner({ host: 'h', sshCommand: fakeSsh });
      const args = ["it's", '$(id)', 'a b'];
      const r = await ssh.run(
        process.execPath,
        [
          '-e',
          'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>console.log(JSON.stringify([process.argv.slice(1),process.env.PLAIN,process.env.S1,process.env.S2,s])))',
          ...args,
        ],
        { env: { PLAIN: 'x y' }, secretEnv: { S1: SECRET, S2: 'other-secret-99' }, input: 'payload\nline2' },
      );
      expect(JSON.parse(r.stdout)).to.deep.equal([args, 'x y', SECRET, 'other-secret-99', 'payload\nline2']);
    });

    it('redacts secrets from a remote failure', async () => {
      const ssh = new SshRunner({ host: 'h', sshCommand: fakeSsh });
      try {
        await ssh.run('sh', ['-c', 'echo "denied for $S1" >&2; exit 7'], { secretEnv: { S1: SECRET } });
        expect.fail('no error');
      } catch (e) {
        expect(e).to.be.instanceOf(CommandFailedError);
        expect((e as CommandFailedError).exitCode).to.equal(7);
        expect((e as CommandFailedError).stderr).to.include('denied for ***');
        expect(JSON.stringify(e) + String((e as Error).message)).not.to.include(SECRET);
      }
    });
  });
});
