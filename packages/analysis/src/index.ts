/**
 * @packageDocumentation
 * virtmig analysis: statistics (mean, sd, Student-t confidence intervals), the study's tables
 * (Markdown, CSV, HTML), figures (SVG via Vega-Lite), the pre-copy migration model, VM selection
 * policies and a self-contained HTML report. Pure functions over {@link TrialRecord}s and
 * {@link MigrationTimeline}s; no I/O.
 */

export * from './cells.js';
export * from './distributions.js';
export * from './figures.js';
export * from './model-source.js';
export * from './models/index.js';
export * from './policies/index.js';
export * from './precopy.js';
export * from './prediction.js';
export * from './records.js';
export * from './regression.js';
export * from './report.js';
export * from './sample-data.js';
export * from './stats.js';
export * from './strategy.js';
export * from './study-tables.js';
export * from './table.js';
