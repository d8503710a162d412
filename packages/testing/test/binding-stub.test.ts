import { expect } from 'chai';
import sinon from 'sinon';
import { type BindingLike, stubBinding, UnexpectedBindingCallError } from '../src/index.js';

/** A stand-in for LibvirtBinding: answers every function with its name. */
function realish(): BindingLike {
  return {
    call: (name: string) => `real:${name}`,
    callAsync: async (name: string) => `real-async:${name}`,
  };
}

describe('stubBinding', () => {
  afterEach(() => sinon.restore());

  it('answers handled functions, sync and async, and records their arguments in order', async () => {
    const b = realish();
    const stub = stubBinding(sinon, b, {
      virDomainGetInfo: (_d, buf) => {
        (buf as Buffer).writeUInt8(1, 0);
        return 0;
      },
    });
    const buf = Buffer.alloc(40);
    expect(b.call('virDomainGetInfo', 'dom', buf)).to.equal(0);
    expect(buf.readUInt8(0)).to.equal(1);
    expect(await b.callAsync('virDomainGetInfo', 'dom2', Buffer.alloc(40))).to.equal(0);
    expect(stub.calls('virDomainGetInfo').map((a) => a[0])).to.deep.equal(['dom', 'dom2']);
  });

  it('passes other functions through to the real binding by default', async () => {
    const b = realish();
    const stub = stubBinding(sinon, b, {});
    expect(b.call('virConnectGetType', 'c')).to.equal('real:virConnectGetType');
    expect(await b.callAsync('virDomainCreate', 'd')).to.equal('real-async:virDomainCreate');
    expect(stub.names()).to.deep.equal(['virConnectGetType', 'virDomainCreate']);
  });

  it('rejects unhandled functions in reject mode so a test sees every C call', async () => {
    const b = realish();
    stubBinding(sinon, b, {}, { others: 'reject' });
    expect(() => b.call('virDomainDestroy')).to.throw(UnexpectedBindingCallError, /virDomainDestroy/);
    const err = await b.callAsync('virDomainDestroy').catch((e: unknown) => e);
    expect(err).to.be.instanceOf(UnexpectedBindingCallError);
  });

  it("propagates a handler's error as the call's failure", async () => {
    const b = realish();
    stubBinding(sinon, b, {
      virDomainLookupByName: () => {
        throw Object.assign(new Error('Domain not found'), { code: 'E_NOT_FOUND' });
      },
    });
    const err = await b.callAsync('virDomainLookupByName', 'c', 'x').catch((e: unknown) => e);
    expect(err).to.have.property('code', 'E_NOT_FOUND');
  });

  it('restores the real binding with the sandbox', () => {
    const b = realish();
    stubBinding(sinon, b, { virConnectGetType: () => 'stubbed' });
    expect(b.call('virConnectGetType')).to.equal('stubbed');
    sinon.restore();
    expect(b.call('virConnectGetType')).to.equal('real:virConnectGetType');
  });
});
