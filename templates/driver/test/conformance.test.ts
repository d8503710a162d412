import { FakeHypervisor, FakeNetwork, runConformance } from '@virtmig/testing';
import { add__Name__Host } from './fake-host.js';

const network = new FakeNetwork({ bandwidthBps: 1_000_000_000 });
add__Name__Host(network, '__name__-a');
add__Name__Host(network, '__name__-b');
const connect = (host: string) => new FakeHypervisor({ network, host });

runConformance({
  name: 'fake __name__ host',
  connect: async () => connect('__name__-a'),
  domainConfig: (name) => ({ name, memoryMiB: 64, vcpus: 1, kernel: '/boot/vmlinuz' }),
  migrationPeer: async () => ({ source: connect('__name__-a'), destination: connect('__name__-b') }),
});
