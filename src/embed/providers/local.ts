/**
 * The built-in local models (names.ts lists them; each has a builder below): offline, free,
 * no key. `local` is the default one. Their size is fixed, so `model.dimensions` may only
 * repeat it.
 */
import { UsageError } from '../../errors.js';
import { createLocalProvider, LOCAL_MAX_INPUT_TOKENS, LOCAL_V1_PARAMS } from '../local.js';
import { createLocalV2Provider, LOCAL_V2_PARAMS, localV2Dims } from '../local-v2.js';
import { LOCAL_ALIAS, localModelNamed } from '../names.js';
import type { LocalModelName } from '../names.js';
import type { KnownModel, ProviderEntry } from '../registry.js';
import type { EmbeddingProvider } from '../types.js';

/** Each local model's size and how to build it; the type checker asks for a row per name in LOCAL_MODELS. */
export const LOCAL_MODEL_BUILDERS: Readonly<Record<LocalModelName, { dims: number; create: () => EmbeddingProvider }>> = Object.freeze({
  'local-v1': { dims: LOCAL_V1_PARAMS.dims, create: () => createLocalProvider({ params: LOCAL_V1_PARAMS, model: 'local-v1' }) },
  'local-v2': { dims: localV2Dims(LOCAL_V2_PARAMS), create: () => createLocalV2Provider() },
});

export const localProvider: ProviderEntry = {
  kind: 'local',
  serves: (name) => localModelNamed(name) !== undefined,
  known(name): KnownModel | undefined {
    const model = localModelNamed(name);
    if (model === undefined) return undefined;
    return { dims: LOCAL_MODEL_BUILDERS[model].dims, usdPerMillionTokens: 0, maxInputTokens: LOCAL_MAX_INPUT_TOKENS, shortenable: false };
  },
  async create(name, options) {
    const model = localModelNamed(name);
    if (model === undefined) throw new Error(`${name} is not a local model; this is a bug in gitctx`);
    const { dims, create } = LOCAL_MODEL_BUILDERS[model];
    if (options.dimensions !== undefined && options.dimensions !== dims) {
      const which = name.trim() === LOCAL_ALIAS ? 'the local model' : model;
      throw new UsageError(`${which} has ${dims} dimensions; model.dimensions only applies to API models`);
    }
    return create();
  },
};
