/**
 * The built-in local models (names.ts lists them, local.ts pins their parameters): offline,
 * free, no key. `local` is the default one. Their size is fixed, so `model.dimensions` may
 * only repeat it.
 */
import { UsageError } from '../../errors.js';
import { createLocalProvider, LOCAL_MAX_INPUT_TOKENS, LOCAL_MODEL_PARAMS } from '../local.js';
import { localModelNamed } from '../names.js';
import type { KnownModel, ProviderEntry } from '../registry.js';

export const localProvider: ProviderEntry = {
  kind: 'local',
  serves: (name) => localModelNamed(name) !== undefined,
  known(name): KnownModel | undefined {
    const model = localModelNamed(name);
    if (model === undefined) return undefined;
    return { dims: LOCAL_MODEL_PARAMS[model].dims, usdPerMillionTokens: 0, maxInputTokens: LOCAL_MAX_INPUT_TOKENS, shortenable: false };
  },
  async create(name, options) {
    const model = localModelNamed(name);
    if (model === undefined) throw new Error(`${name} is not a local model; this is a bug in gitctx`);
    const params = LOCAL_MODEL_PARAMS[model];
    if (options.dimensions !== undefined && options.dimensions !== params.dims) {
      throw new UsageError(`the local model has ${params.dims} dimensions; model.dimensions only applies to API models`);
    }
    return createLocalProvider({ params, model });
  },
};
