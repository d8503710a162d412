import { calibrateModel } from './models/index.js';
import type { MigrationModel } from './prediction.js';
import type { TrialRecord } from './records.js';

/**
 * The model every prediction in virtmig uses (`virtmig predict`, `virtmig migrate`, the live
 * cluster snapshot): the single place that turns measured trials into a {@link MigrationModel}.
 * It is {@link calibrateModel}'s choice, fitted on `records`; with too few trials that is the
 * uncalibrated pre-copy model, whose predictions say so in their warnings.
 */
export function migrationModelFor(records: readonly TrialRecord[] = []): MigrationModel {
  return calibrateModel(records);
}
