// .ci/run's backstop stops the tgtd the tests started by the pid they recorded, and only while
// that pid still is a tgtd: a reused pid (here: a process of another name) is left alone. A copy
// of `sleep` named tgtd stands in for tgtd, so no real daemon starts.
import { spawn } from 'node:child_process';
import { chmodSync, copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { expect } from 'chai';
import { root } from './harness.mjs';

const alive = (pid) => {
  try {
    process.kill(pid, 0);
    return !readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.startsWith('Z');
  } catch {
    return false;
  }
};

/** Runs .ci/run's own stop_recorded_tgtd on `pidFile`, read from the script (not a copy of it). */
function stopRecorded(pidFile) {
  const script = readFileSync(join(root, '.ci', 'run'), 'utf8');
  const fn = /^stop_recorded_tgtd\(\) \{\n[\s\S]*?\n\}$/m.exec(script)?.[0];
  expect(fn, 'stop_recorded_tgtd in .ci/run').to.be.a('string');
  return new Promise((resolve) =>
    spawn('bash', ['-c', `${fn}\nstop_recorded_tgtd "$1"`, 'bash', pidFile]).once('exit', resolve),
  );
}

describe('.ci/run stops recorded tgtd processes by pid', () => {
  let dir;
  const children = [];
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'virtmig-ci-pids-'));
  });
  afterEach(() => {
    for (const c of children.splice(0)) c.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  });

  it('kills the process a pid file names when its program is tgtd', async () => {
    const fake = join(dir, 'tgtd');
    copyFileSync('/bin/sleep', fake);
    chmodSync(fake, 0o755);
    const child = spawn(fake, ['300'], { stdio: 'ignore' });
    children.push(child);
    await sleep(100);
    writeFileSync(join(dir, 'tgtd.1234.pid'), `${child.pid}\n`);
    await stopRecorded(join(dir, 'tgtd.1234.pid'));
    await sleep(100);
    expect(alive(child.pid)).to.equal(false);
  });

  it('leaves alone a pid that now belongs to another program', async () => {
    const child = spawn('/bin/sleep', ['300'], { stdio: 'ignore' });
    children.push(child);
    await sleep(100);
    writeFileSync(join(dir, 'tgtd.1234.pid'), `${child.pid}\n`);
    await stopRecorded(join(dir, 'tgtd.1234.pid'));
    expect(alive(child.pid)).to.equal(true);
  });

  it('ignores a pid file that does not hold a number', async () => {
    writeFileSync(join(dir, 'tgtd.1.pid'), '$(touch x)\n');
    expect(await stopRecorded(join(dir, 'tgtd.1.pid'))).to.equal(0);
  });

  it('has no pkill or killall in .ci/run', () => {
    expect(readFileSync(join(root, '.ci', 'run'), 'utf8')).not.to.match(/\b(pkill|killall)\b/);
  });
});
