/**
 * @packageDocumentation
 * virtmig's experiment runner: validates experiment specs (YAML/JSON, JSON schema), expands the
 * matrix into trials, runs them on libvirt hosts (guest, cap, CPU sampling, live migration),
 * stores every trial in a SQLite results database as it ends, and resumes after a crash.
 */

/** The CPU samplers the runner uses, for tools built on bench (the CLI's live recommendation). */
export { DomainCpuSampler, domainUsageBetween } from '@virtmig/workloads';
export {
  acceleratorOf,
  type CapturedEnd,
  captureEnvironment,
  environmentId,
  type HostsSetting,
  isLocalUri,
  SIMULATED_DRIVERS,
  type VirtmigBuild,
  virtmigBuild,
} from './capture.js';
export { ResultsDb, type RunRow, type RunStatus, specHash, type TrialRow, type TrialStatus } from './db.js';
export type { BalanceSampleRow, DecisionInput, DecisionOutcomeInput, DecisionRow } from './decisions.js';
export {
  abortableSleep,
  type DefaultEnvironmentOptions,
  defaultEnvironment,
  labDiskFor,
  type RunnerEnvironment,
} from './environment.js';
export {
  TIDY_TABLES,
  type TidyCell,
  type TidyColumn,
  type TidyColumnType,
  type TidyTable,
  type TidyTableName,
} from './export.js';
export {
  buildGuestImage,
  type ConsoleSource,
  disksFor,
  type GuestHandle,
  type GuestHosts,
  type GuestImage,
  type GuestProvider,
  type LabGuestOptions,
  LabGuestProvider,
  type ScoreSummary,
  SimulatedGuestProvider,
  serialFileConsole,
  streamConsole,
  xenConsole,
} from './guest.js';
export { labHostPairs, labLinkShaping, labStorage, xenlabGuestSetup, xenlabHostPairs } from './lab.js';
export type { LockHolder } from './lock.js';
export { assertTrialCount, expandMatrix, MAX_TRIALS, type TrialPlan, trialCount, trialId } from './matrix.js';
export { REPO_ROOT, repoPath } from './paths.js';
export { PRESETS, preset, presetNames } from './presets.js';
export { estimateRemainingMs, ProgressBar, type ProgressEvent } from './progress.js';
export * from './records.js';
export { domainName, type RunOptions, type RunSummary, runExperiment } from './runner.js';
export { SCHEMA_MIGRATIONS, SCHEMA_VERSION, type SchemaMigration } from './schema.js';
export {
  CommandConsoleWatcher,
  type ConsoleLine,
  ConsoleLog,
  type ConsoleWatcher,
  SerialWatcher,
} from './serial.js';
export {
  DEFAULT_WORKLOAD_SECONDS,
  loadSpecFile,
  MAX_SPEC_BYTES,
  MAX_SPEC_DEPTH,
  parseSpec,
  validateSpec,
} from './spec.js';
export { EXPERIMENT_SPEC_SCHEMA } from './spec-schema.js';
export * from './spec-types.js';
export { StreamConsoleWatcher } from './stream-console.js';
export {
  type ConnectedPair,
  checkDriverSupport,
  checkMigrationSupport,
  effectiveCap,
  migrationOptions,
  removeDomain,
  runTrial,
  type TrialContext,
  withRoundRates,
} from './trial.js';
