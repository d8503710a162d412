import { InvalidArgumentError } from '@virtmig/core';
import type { FfiEngine } from '../engine.js';
import { createFfiNapiEngine } from './ffi-napi.js';
import { createKoffiEngine } from './koffi.js';

/** Names of the available FFI engines. */
export type EngineName = 'koffi' | 'ffi-napi';

/** The environment variable that selects the engine when no option does. */
export const ENGINE_ENV = 'VIRTMIG_FFI_ENGINE';

const cache = new Map<EngineName, FfiEngine>();

/**
 * Returns the engine named by `name`, else by `$VIRTMIG_FFI_ENGINE`, else koffi.
 * @throws {@link @virtmig/core!InvalidArgumentError} `E_INVALID_ARGUMENT` when that name is not `koffi` or `ffi-napi`.
 */
export function selectEngine(name: string | undefined = process.env[ENGINE_ENV]): FfiEngine {
  const chosen = (name && name.length > 0 ? name : 'koffi') as EngineName;
  if (chosen !== 'koffi' && chosen !== 'ffi-napi') {
    throw new InvalidArgumentError('engine', `must be "koffi" or "ffi-napi", got ${JSON.stringify(name)}`);
  }
  let engine = cache.get(chosen);
  if (!engine) {
    engine = chosen === 'koffi' ? createKoffiEngine() : createFfiNapiEngine();
    cache.set(chosen, engine);
  }
  return engine;
}
