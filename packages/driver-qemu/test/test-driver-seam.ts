import { Connection, getBinding, type Pointer, readTypedParams, STRINGS, TypedParamList } from '@virtmig/libvirt';
import { type BindingStub, stubBinding } from '@virtmig/testing';
import sinon from 'sinon';
import { QemuHypervisor } from '../src/index.js';

/** Size of one virTypedParameter in C (field[80], type, padding, 8-byte union). */
const TYPED_PARAM_BYTES = 96;

/**
 * QemuHypervisor over libvirt's in-process test driver: the real driver class and the real
 * binding, with only what the test driver lacks answered as libvirt's QEMU driver answers it.
 * Domain XML of type kvm/qemu is defined as type test (the test driver refuses other types), and
 * the CPU cgroup bandwidth (`vcpu_period`/`vcpu_quota`, which the test driver does not have) is
 * kept per domain. Everything else (lifecycle, errors, vCPUs, memory, stats, events) is libvirt's.
 */
export class QemuTestDriverSeam {
  readonly sandbox = sinon.createSandbox();
  readonly binding = getBinding();
  readonly stub: BindingStub;
  private readonly bandwidth = new Map<string, { period: number; quota: number }>();

  constructor() {
    this.stub = stubBinding(this.sandbox, this.binding, {
      virDomainDefineXMLFlags: (conn, xml, flags) =>
        this.real(
          'virDomainDefineXMLFlags',
          conn,
          String(xml).replace(/^<domain type='(kvm|qemu)'/, "<domain type='test'"),
          flags,
        ),
      virDomainGetSchedulerType: (_d, nparams) => {
        (nparams as Buffer).writeInt32LE(2, 0);
        return 'posix';
      },
      virDomainGetSchedulerParametersFlags: (d, out, nparams) => {
        const b = this.bandwidth.get(this.nameOf(d)) ?? { period: 0, quota: 0 };
        const list = new TypedParamList(this.binding, [
          { name: STRINGS.VIR_DOMAIN_SCHEDULER_VCPU_PERIOD, type: 'ullong', value: b.period },
          { name: STRINGS.VIR_DOMAIN_SCHEDULER_VCPU_QUOTA, type: 'llong', value: b.quota },
        ]);
        try {
          (out as Buffer).set(this.binding.engine.readBytes(list.pointer, 0, TYPED_PARAM_BYTES * 2));
        } finally {
          list.free();
        }
        (nparams as Buffer).writeInt32LE(2, 0);
        return 0;
      },
      virDomainSetSchedulerParametersFlags: (d, params, n) => {
        const values = readTypedParams(this.binding, params as Pointer, n as number);
        this.bandwidth.set(this.nameOf(d), {
          period: Number(values[STRINGS.VIR_DOMAIN_SCHEDULER_VCPU_PERIOD] ?? 0),
          quota: Number(values[STRINGS.VIR_DOMAIN_SCHEDULER_VCPU_QUOTA] ?? -1),
        });
        return 0;
      },
    });
  }

  /** A QemuHypervisor (domain type kvm, as on a real host) on a test-driver host. */
  async open(uri = 'test:///default'): Promise<QemuHypervisor> {
    return new QemuHypervisor(await Connection.open(uri));
  }

  restore(): void {
    this.sandbox.restore();
  }

  private real(name: string, ...args: unknown[]): unknown {
    return this.stub.call.wrappedMethod.call(this.binding, name, ...args);
  }

  private nameOf(d: unknown): string {
    return String(this.real('virDomainGetName', d));
  }
}
