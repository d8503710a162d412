import type { Cell, Table } from '../table.js';
import type { Calibration } from './calibrate.js';
import type { ModelErrors } from './evaluate.js';

function percent(x: number | null | undefined): Cell {
  return x === null || x === undefined ? null : `${(x * 100).toFixed(1)} %`;
}

function errorCells(e: ModelErrors | null): Cell[] {
  return [percent(e?.medianTotal), percent(e?.p90Total), percent(e?.medianDowntime), percent(e?.p90Downtime)];
}

/**
 * Each candidate model's cross-validated errors (median and 90th-percentile absolute percentage
 * error of total time and downtime, leave one cell out and leave one workload out) and which
 * model is used. With the fallback the table has no rows and its note says why.
 */
export function modelErrorsTable(c: Calibration, id = 'table-model'): Table {
  return {
    id,
    title: 'Migration models: held-out prediction errors',
    columns: [
      { header: 'Model', kind: 'text' },
      { header: 'Used', kind: 'text' },
      { header: 'Trials (finished)', kind: 'text' },
      { header: 'Total, median (cell out)', kind: 'text' },
      { header: 'Total, p90 (cell out)', kind: 'text' },
      { header: 'Downtime, median (cell out)', kind: 'text' },
      { header: 'Downtime, p90 (cell out)', kind: 'text' },
      { header: 'Wrong convergence verdicts', kind: 'text' },
      { header: 'Total, median (workload out)', kind: 'text' },
      { header: 'Total, p90 (workload out)', kind: 'text' },
      { header: 'Downtime, median (workload out)', kind: 'text' },
      { header: 'Downtime, p90 (workload out)', kind: 'text' },
    ],
    rows: c.evaluations.map((e) => [
      e.model,
      e.model === c.chosen ? 'yes' : '',
      `${e.byCell.trials} (${e.byCell.finishedTrials})`,
      ...errorCells(e.byCell),
      String(e.byCell.wrongVerdicts),
      ...errorCells(e.byWorkload),
    ]),
    note:
      c.fallback !== undefined
        ? `No calibrated model: ${c.fallback}; predictions use ${c.chosen} (transfer time only, flagged uncalibrated).`
        : 'Error = |predicted − measured| / measured for trials held out of the fit (each cell, or each workload, predicted by the models fitted on the rest); ' +
          'a wrong verdict on finishing (within the timeout, for an aborted migration) counts as 100 %. The model used has the least cell-out median total-time error.',
  };
}
