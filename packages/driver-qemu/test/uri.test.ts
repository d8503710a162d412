import { expect } from 'chai';
import { parseQemuUri } from '../src/index.js';

describe('parseQemuUri', () => {
  for (const uri of [
    'qemu:///system',
    'qemu:///session',
    'qemu+unix:///system?socket=/run/virtmig-lab/vmlab/a/sock/libvirt-sock',
    'qemu+ssh://root@host-b/system',
    'qemu+ssh://host-b:2222/system?keyfile=/root/.ssh/id',
    'qemu+tls://host-b.example/system',
    'qemu+tcp://10.77.0.2/system',
  ]) {
    it(`accepts ${uri}`, () => {
      expect(parseQemuUri(uri).driver).to.equal('qemu');
    });
  }

  for (const [uri, why] of [
    ['xen:///system', 'another driver'],
    ['qemu+ftp://h/system', 'an unknown transport'],
    ['qemu+ssh:///system', 'a remote transport without a host'],
    ['qemu://host/system', 'a local URI with a host'],
    ['qemu:///default', 'a path other than /system or /session'],
    ['qemu+unix:///system?socket=relative/sock', 'a relative socket path'],
    ['not a uri', 'garbage'],
  ]) {
    it(`refuses ${why} with E_INVALID_URI`, () => {
      expect(() => parseQemuUri(uri as string))
        .to.throw()
        .with.property('code', 'E_INVALID_URI');
    });
  }
});
