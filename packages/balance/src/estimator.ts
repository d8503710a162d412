import {
  estimatesFromTrials,
  type HostSnapshot,
  type MigrationModel,
  type Prediction,
  type PredictionInput,
  type TrialRecord,
  type VmSnapshot,
} from '@virtmig/analysis';

/** What the balancing loop asks an estimator about one candidate move. */
export interface EstimateRequest {
  /** The VM as the loop measured it. */
  readonly vm: VmSnapshot;
  /** The workload the guest runs (`virtmig.workload=` on its kernel command line), when known. */
  readonly workload?: string;
  /** The host it runs on. */
  readonly source: HostSnapshot;
  /** The host it would move to. */
  readonly destination: HostSnapshot;
}

/**
 * Cost estimates for the balancing loop: a prediction of one move's total time and downtime,
 * or undefined when the estimator knows nothing about it. A `non-convergent` prediction pins
 * the VM (it is not chosen). This is where a calibrated {@link MigrationModel} plugs in
 * ({@link estimatorFromModel}); the default estimates from measured trials ({@link estimatorFromTrials}).
 */
export type MigrationEstimator = (request: EstimateRequest) => Promise<Prediction | undefined>;

/**
 * The estimates `virtmig recommend --live` uses: the measured mean total time and downtime of
 * the guest's workload over `records` (trials that migrated), as a point prediction of the
 * model `measured-mean`. Guests of an unmeasured workload, or of one whose trials reported no
 * downtime, get no estimate.
 */
export function estimatorFromTrials(records: readonly TrialRecord[]): MigrationEstimator {
  const estimates = estimatesFromTrials(records);
  return async ({ workload }) => {
    const e = workload === undefined ? undefined : estimates.get(workload);
    if (!e || e.downtimeMs === undefined) return undefined;
    return {
      kind: 'converges',
      model: 'measured-mean',
      totalTimeMs: e.totalTimeMs,
      downtimeMs: e.downtimeMs,
      totalTimeIntervalMs: { low: e.totalTimeMs, high: e.totalTimeMs },
      downtimeIntervalMs: { low: e.downtimeMs, high: e.downtimeMs },
      warnings: [],
    };
  };
}

/**
 * An estimator from a {@link MigrationModel}: `input` turns a request into the model's input
 * (undefined: no estimate), e.g. with the guest's measured dirty rate and the link's bandwidth.
 * @throws nothing itself; the returned estimator rejects with whatever `input` or the model throws
 * (e.g. `E_INVALID_ARGUMENT` for a zero bandwidth).
 */
export function estimatorFromModel(
  model: MigrationModel,
  input: (request: EstimateRequest) => PredictionInput | undefined,
): MigrationEstimator {
  return async (request) => {
    const i = input(request);
    return i === undefined ? undefined : model.predict(i);
  };
}

/** The first estimator that knows something about a move, in order. */
export function firstEstimate(...estimators: readonly MigrationEstimator[]): MigrationEstimator {
  return async (request) => {
    for (const e of estimators) {
      const p = await e(request);
      if (p !== undefined) return p;
    }
    return undefined;
  };
}
