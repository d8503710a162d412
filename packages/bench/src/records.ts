import type { TimelineSample, TrialRecord } from '@virtmig/core';

export type { CpuSample, MigrationTimeline, TimelineSample, TrialRecord } from '@virtmig/core';

/** What a trial produces besides the record: the migration timeline and the heartbeat view of the switch-over. */
export interface TrialOutcome {
  /** The trial's record. */
  readonly record: TrialRecord;
  /** The migration's sampled course, when it migrated. */
  readonly timeline?: readonly TimelineSample[];
  /** Largest host-side gap between guest heartbeats around the migration, ms. */
  readonly heartbeatGapMs?: number;
}
