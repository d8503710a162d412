/**
 * @packageDocumentation
 * The `virtmig` command-line tool, also usable as a library (`main(argv)`).
 */

export { type Check, runDoctor } from './commands/doctor.js';
export { collectInventory, type Inventory } from './commands/inventory.js';
export { type NewDriverOptions, type NewDriverResult, newDriver } from './commands/new-driver.js';
export { balanceTimelines } from './commands/report.js';
export { EXIT, exitCodeFor } from './exit-codes.js';
export { buildProgram, main } from './main.js';
export { type Output, processOutput, table } from './output.js';
