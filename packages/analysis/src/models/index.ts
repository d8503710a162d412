export * from './akoush.js';
export * from './calibrate.js';
export * from './equation1.js';
export * from './evaluate.js';
export * from './fitted-precopy.js';
export * from './inputs.js';
export * from './regression-model.js';
export * from './rounds.js';
