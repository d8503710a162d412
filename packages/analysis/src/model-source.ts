import { type MigrationModel, uncalibratedPrecopyModel } from './prediction.js';
import type { TrialRecord } from './records.js';

/**
 * The model every prediction in virtmig uses (`virtmig predict`, `virtmig migrate`, the live
 * cluster snapshot): the single place that turns measured trials into a {@link MigrationModel}.
 * Without calibrated models in this package it is {@link uncalibratedPrecopyModel} whatever
 * `records` hold; callers pass their database's records already, so calibration is a change here only.
 */
export function migrationModelFor(_records: readonly TrialRecord[] = []): MigrationModel {
  return uncalibratedPrecopyModel();
}
