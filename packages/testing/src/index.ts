/**
 * @packageDocumentation
 * Test helpers for virtmig: {@link FakeHypervisor}, an in-memory hypervisor that behaves like
 * a libvirt host (state machine, typed errors, clock-driven CPU time, events, simulated
 * pre-copy/post-copy migration), and {@link runConformance}, the mocha suite every driver
 * package runs to prove it honours the `Hypervisor` contract.
 */

export { type AcceptanceHosts, acceptanceHosts, runAcceptance } from './acceptance.js';
export {
  type BindingHandler,
  type BindingLike,
  type BindingStub,
  type StubBindingOptions,
  stubBinding,
  UnexpectedBindingCallError,
} from './binding-stub.js';
export { type Clock, ManualClock, systemClock } from './clock.js';
export {
  type ConformanceOnly,
  type ConformanceOptions,
  type ConformanceSkip,
  checkGroup,
  conformanceChecks,
  type MigrationPeer,
  runConformance,
} from './conformance.js';
export {
  type CheckContext,
  type CheckPeer,
  CONFORMANCE_CHECKS,
  type ConformanceCapability,
  type ConformanceCheck,
  SAMPLE_MIGRATION_OPTIONS,
  TEST_DRIVER_PAIR_CHECK_IDS,
} from './conformance-checks.js';
export {
  type ConformanceFramework,
  type Hook,
  type MochaLike,
  mochaFramework,
  type NodeTestLike,
  nodeTestFramework,
} from './conformance-framework.js';
export { eventually, rejectsWithCode, removeDomain, uniqueDomainName } from './conformance-helpers.js';
export { type ConnectFakeOptions, connectFake, fakeHostFromUri, registerFakeDriver } from './connect.js';
export { type FailMigrationOptions, FakeHypervisor, type FakeHypervisorOptions } from './fake-hypervisor.js';
export { FAKE_MIGRATION_OPTIONS, type FakeHostOptions } from './host.js';
export { defaultFakeNetwork, FakeNetwork, type FakeNetworkOptions } from './network.js';
export { type PrecopyParams, type PrecopyPlan, type PrecopyRound, planPrecopy } from './precopy.js';
export { migratedTrial } from './records.js';
export { secondTestDriverHostUri } from './test-driver-host.js';
