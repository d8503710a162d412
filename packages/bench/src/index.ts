/**
 * @packageDocumentation
 * virtmig's experiment runner: validates experiment specs (YAML/JSON, JSON schema), expands the
 * matrix into trials, runs them on libvirt hosts (guest, cap, CPU sampling, live migration),
 * stores every trial in a SQLite results database as it ends, and resumes after a crash.
 */
export * from './spec-types.js';
export { EXPERIMENT_SPEC_SCHEMA } from './spec-schema.js';
export { DEFAULT_WORKLOAD_SECONDS, loadSpecFile, parseSpec, validateSpec } from './spec.js';
export { PRESETS, preset, presetNames } from './presets.js';
export { type TrialPlan, expandMatrix, trialId } from './matrix.js';
export * from './records.js';
export { SCHEMA_MIGRATIONS, SCHEMA_VERSION, type SchemaMigration } from './schema.js';
export { ResultsDb, type RunRow, type RunStatus, type TrialRow, type TrialStatus, specHash } from './db.js';
export { SerialWatcher, type Heartbeat, type ConsoleLine } from './serial.js';
export {
  type GuestHandle,
  type GuestImage,
  type GuestProvider,
  type LabGuestOptions,
  LabGuestProvider,
  type ScoreSummary,
  SimulatedGuestProvider,
  buildGuestImage,
} from './guest.js';
export { labHostPairs } from './lab.js';
export { REPO_ROOT, repoPath } from './paths.js';
export { type DefaultEnvironmentOptions, type RunnerEnvironment, abortableSleep, defaultEnvironment } from './environment.js';
export { type ConnectedPair, type TrialContext, checkMigrationSupport, effectiveCap, migrationOptions, removeDomain, runTrial } from './trial.js';
export { type RunOptions, type RunSummary, domainName, runExperiment } from './runner.js';
export { ProgressBar, type ProgressEvent, estimateRemainingMs } from './progress.js';
