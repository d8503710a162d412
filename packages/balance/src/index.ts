/**
 * @packageDocumentation
 * virtmig balancing: turns hosts into the `ClusterSnapshot` the selection policies of
 * `@virtmig/analysis` decide on, either from the domains running now ({@link liveCluster},
 * {@link snapshotHost}) or replayed from measured trials ({@link clusterFromRecords}).
 */

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
export { clusterFromRecords } from './recorded-cluster.js';
