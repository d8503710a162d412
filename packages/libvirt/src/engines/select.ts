import { InvalidArgumentError, VirtmigError } from '@virtmig/core';
import type { FfiEngine } from '../engine.js';
import { createFfiNapiEngine } from './ffi-napi.js';
import { createKoffiEngine } from './koffi.js';

/** Names of the available FFI engines. */
export type EngineName = 'koffi' | 'ffi-napi';

/** The environment variable that selects the engine when no option does. */
export const ENGINE_ENV = 'VIRTMIG_FFI_ENGINE';

const cache = new Map<EngineName, FfiEngine>();

/** The packages the ffi-napi engine needs; optional peer dependencies, so a default install compiles nothing. */
export const FFI_NAPI_PACKAGES = ['@2060.io/ffi-napi', '@2060.io/ref-napi'] as const;

/** The selected FFI engine's packages are not installed. */
export class EngineUnavailableError extends VirtmigError {
  /** The engine whose packages are missing. */
  readonly engine: EngineName;
  constructor(engine: EngineName, missing: readonly string[], options?: { cause?: unknown }) {
    super(
      'E_FUNCTION_UNAVAILABLE',
      `the ${engine} FFI engine is not installed (missing ${missing.join(', ')}): run \`npm install ${missing.join(' ')}\` (it compiles with node-gyp), or use the default engine koffi`,
      { engine, missing },
      options,
    );
    this.engine = engine;
  }
}

function isModuleNotFound(e: unknown, pkg: string): boolean {
  const err = e as NodeJS.ErrnoException;
  return err?.code === 'MODULE_NOT_FOUND' && String(err.message).includes(pkg);
}

function loadFfiNapi(): FfiEngine {
  try {
    return createFfiNapiEngine();
  } catch (e) {
    if (FFI_NAPI_PACKAGES.some((p) => isModuleNotFound(e, p)))
      throw new EngineUnavailableError('ffi-napi', FFI_NAPI_PACKAGES, { cause: e });
    throw e;
  }
}

/**
 * Returns the engine named by `name`, else by `$VIRTMIG_FFI_ENGINE`, else koffi.
 * @throws {@link @virtmig/core!InvalidArgumentError} `E_INVALID_ARGUMENT` for an unknown engine name.
 * @throws {@link EngineUnavailableError} `E_FUNCTION_UNAVAILABLE` when ffi-napi is chosen but not installed.
 */
export function selectEngine(name: string | undefined = process.env[ENGINE_ENV]): FfiEngine {
  const chosen = (name && name.length > 0 ? name : 'koffi') as EngineName;
  if (chosen !== 'koffi' && chosen !== 'ffi-napi') {
    throw new InvalidArgumentError('engine', `must be "koffi" or "ffi-napi", got ${JSON.stringify(name)}`);
  }
  let engine = cache.get(chosen);
  if (!engine) {
    engine = chosen === 'koffi' ? createKoffiEngine() : loadFfiNapi();
    cache.set(chosen, engine);
  }
  return engine;
}
