import type { EngineName } from '../src/index.js';

/** Both engines run every binding test (CI included). */
export const ENGINES: readonly EngineName[] = ['koffi', 'ffi-napi'];
