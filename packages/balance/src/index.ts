/**
 * @packageDocumentation
 * virtmig balancing: turns hosts into the `ClusterSnapshot` the selection policies of
 * `@virtmig/analysis` decide on, either from the domains running now ({@link liveCluster},
 * {@link snapshotHost}) or replayed from measured trials ({@link clusterFromRecords}), and runs
 * the balancing loop ({@link runBalance}) that samples hosts, picks a VM by policy on cost
 * estimates ({@link MigrationEstimator}), migrates it and hands every decision to a {@link DecisionSink}.
 */

export {
  type EstimateRequest,
  estimatorFromModel,
  estimatorFromTrials,
  firstEstimate,
  type MigrationEstimator,
} from './estimator.js';
export {
  type LiveClusterOptions,
  type LiveHost,
  liveCluster,
  type SnapshotHostOptions,
  snapshotHost,
  workloadOfXml,
} from './live-cluster.js';
export {
  type LiveGuest,
  livePredictionInput,
  type MeasureLiveGuestOptions,
  measureLiveGuest,
} from './live-guest.js';
export {
  type BalanceEvent,
  type BalanceHost,
  type BalanceOptions,
  type BalanceSummary,
  type Candidate,
  type Decision,
  type DecisionSink,
  type HostLoad,
  type MigrationOutcome,
  type Migrator,
  runBalance,
} from './loop.js';
export { clusterFromRecords } from './recorded-cluster.js';
export { decisionPointOf, type RecordedDecision } from './replay.js';
