import {
  Connection,
  ENUMS,
  getBinding,
  type LibvirtBinding,
  LibvirtError,
  type Pointer,
  readStruct,
  readTypedParams,
  type TypedParam,
  TypedParamList,
  type TypedValue,
} from '@virtmig/libvirt';
import sinon from 'sinon';
import { XenHypervisor } from '../src/index.js';

const T = ENUMS.virTypedParameterType;
const TYPE_NAMES = new Map<number, string>(
  Object.entries(T).map(([k, v]) => [v, k.replace('VIR_TYPED_PARAM_', '').toLowerCase()]),
);

/** One typed parameter as libvirt received it: name, C type and value. */
export interface SeenParam {
  readonly name: string;
  readonly type: string;
  readonly value: TypedValue;
}

/** Decodes a virTypedParameter array the driver passed to libvirt, with each parameter's C type. */
export function decodeParams(binding: LibvirtBinding, p: Pointer, n: number): SeenParam[] {
  const values = readTypedParams(binding, p, n);
  return Array.from({ length: n }, (_, i) => {
    const s = readStruct(binding, p, 'virTypedParameter', i);
    const name = String(s.field);
    return { name, type: TYPE_NAMES.get(Number(s.type)) ?? String(s.type), value: values[name] as TypedValue };
  });
}

/**
 * A XenHypervisor over libvirt's in-process test driver whose libxl-specific calls are answered
 * like libvirt's libxl driver answers them (scheduler type and credit parameters; Xen domain XML is
 * defined as the test driver's own type), while every other
 * call reaches the real libvirt. The stubs record the exact C functions and arguments.
 */
export class LibxlSeam {
  readonly binding = getBinding();
  readonly callAsync: sinon.SinonStub;
  readonly call: sinon.SinonStub;
  scheduler = 'credit';
  credit = { weight: 256, cap: 0 };
  /** Parameters seen by virDomainSetSchedulerParametersFlags, per call. */
  readonly setCalls: { params: SeenParam[]; flags: number }[] = [];

  constructor() {
    const realAsync = this.binding.callAsync.bind(this.binding);
    const realCall = this.binding.call.bind(this.binding);
    this.callAsync = sinon.stub(this.binding, 'callAsync').callsFake(async (name: string, ...args: unknown[]) => {
      switch (name) {
        case 'virDomainGetSchedulerType':
          return this.schedulerType(args[1] as Buffer);
        case 'virDomainGetSchedulerParametersFlags':
          return this.getParams(args[1] as Buffer, args[2] as Buffer);
        case 'virDomainSetSchedulerParametersFlags': {
          if (this.scheduler !== 'credit') throw libxlError("Only 'credit' scheduler is supported");
          const params = decodeParams(this.binding, args[1] as Pointer, args[2] as number);
          this.setCalls.push({ params, flags: args[3] as number });
          for (const p of params) this.credit = { ...this.credit, [p.name]: Number(p.value) };
          return 0;
        }
        case 'virDomainDefineXMLFlags':
          // The test driver defines only its own domain type; the rest of the Xen XML it parses.
          return realAsync(
            name,
            args[0],
            String(args[1]).replace(/^<domain type='xen'/, "<domain type='test'"),
            args[2],
          );
        default:
          return realAsync(name, ...args);
      }
    });
    this.call = sinon
      .stub(this.binding, 'call')
      .callsFake((name: string, ...args: unknown[]) =>
        name === 'virDomainGetSchedulerType' ? this.schedulerType(args[1] as Buffer) : realCall(name, ...args),
      );
  }

  /** Opens a XenHypervisor on `test:///default`. */
  async open(): Promise<XenHypervisor> {
    return new XenHypervisor(await Connection.open('test:///default'));
  }

  /** Calls of `name` on the async binding, as argument lists. */
  asyncCalls(name: string): unknown[][] {
    return this.callAsync
      .getCalls()
      .filter((c) => c.args[0] === name)
      .map((c) => c.args.slice(1));
  }

  restore(): void {
    sinon.restore();
  }

  private schedulerType(nparams: Buffer): string {
    nparams.writeInt32LE(this.scheduler === 'credit' ? 2 : 0, 0);
    return this.scheduler;
  }

  private getParams(out: Buffer, nparams: Buffer): number {
    if (this.scheduler !== 'credit') throw libxlError("Only 'credit' scheduler is supported");
    const params: TypedParam[] = [
      { name: 'weight', type: 'uint', value: this.credit.weight },
      { name: 'cap', type: 'uint', value: this.credit.cap },
    ];
    const n = Math.min(nparams.readInt32LE(0), params.length);
    const list = new TypedParamList(this.binding, params.slice(0, n));
    try {
      out.set(this.binding.engine.readBytes(list.pointer, 0, 96 * n));
    } finally {
      list.free();
    }
    nparams.writeInt32LE(n, 0);
    return 0;
  }
}

function libxlError(message: string): LibvirtError {
  return new LibvirtError({
    fn: 'virDomainSetSchedulerParametersFlags',
    libvirtCode: ENUMS.virErrorNumber.VIR_ERR_INTERNAL_ERROR,
    libvirtDomain: ENUMS.virErrorDomain.VIR_FROM_LIBXL,
    libvirtMessage: message,
  });
}
