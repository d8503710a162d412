// Runs after the other test/qemu files (mocha loads files in name order): `virtmig lab down`
// must leave nothing of the test labs behind.
import { expect } from 'chai';
import { labLeftovers, prefix, virtmig, virtmigOk } from './helpers.mjs';

describe('virtmig lab down (after the QEMU integration tests)', function () {
  this.timeout(120_000);

  it('leaves no process, cgroup, mount, namespace, veth or state directory of the lab behind', async () => {
    const status = await virtmigOk('lab', 'status', '--prefix', prefix, '--json');
    const r = await virtmig('lab', 'down', '--prefix', prefix);
    expect(r.code, r.stderr).to.equal(0);
    for (const p of [prefix, 'vmqdead']) {
      const left = await labLeftovers(p, `/run/virtmig-lab/${p}`);
      expect(left, p).to.deep.equal({ processes: [], cgroups: [], mounts: [], netns: [], links: [], stateDir: [] });
    }
    expect((await virtmigOk('lab', 'status', '--prefix', prefix, '--json')).state).to.equal('stopped');
    expect(status.prefix).to.equal(prefix);
  });

  it('lab down on a stopped lab succeeds', async () => {
    expect((await virtmig('lab', 'down', '--prefix', prefix)).code).to.equal(0);
  });
});
