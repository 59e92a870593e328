/**
 * OpenAI's embedding models, by name: their sizes and prices are known, so a dry run plans
 * without asking, and `model.dimensions` may shorten the models that accept it. Shortened
 * vectors are different vectors: their cache name gets `@<dims>` (`text-embedding-3-large@256`)
 * so they never share a cache directory with full ones. A known name is served by this entry
 * whatever model.base_url says (a compatible server may serve it too).
 */
import { UsageError } from '../../errors.js';
import type { KnownModel, ProviderEntry } from '../registry.js';
import { openAISetup } from './openai-setup.js';

export const KNOWN_OPENAI_MODELS: Readonly<Record<string, KnownModel>> = Object.freeze({
  'text-embedding-3-large': { dims: 3072, usdPerMillionTokens: 0.13, maxInputTokens: 8191, shortenable: true },
  'text-embedding-3-small': { dims: 1536, usdPerMillionTokens: 0.02, maxInputTokens: 8191, shortenable: true },
  'text-embedding-ada-002': { dims: 1536, usdPerMillionTokens: 0.1, maxInputTokens: 8191, shortenable: false },
});

function knownOpenAIModel(name: string): KnownModel | undefined {
  return Object.hasOwn(KNOWN_OPENAI_MODELS, name) ? KNOWN_OPENAI_MODELS[name] : undefined;
}

export const openAIProvider: ProviderEntry = {
  kind: 'openai',
  serves: (name) => knownOpenAIModel(name) !== undefined,
  known: knownOpenAIModel,
  async create(name, options) {
    const setup = await openAISetup(name, options);
    const known = knownOpenAIModel(name);
    if (known === undefined) throw new Error(`${name} is not a known OpenAI model; this is a bug in gitctx`);
    const d = options.dimensions;
    if (d !== undefined && d !== known.dims && !known.shortenable) {
      throw new UsageError(`${name} does not support model.dimensions`);
    }
    if (d !== undefined && d > known.dims) {
      throw new UsageError(`${name} has at most ${known.dims} dimensions, model.dimensions is ${d}`);
    }
    const shortened = d !== undefined && d !== known.dims;
    return setup.createOpenAIProvider({
      ...setup.provider,
      cacheModel: shortened ? `${name}@${d}` : name,
      dims: d ?? known.dims,
      ...(shortened ? { requestDimensions: d } : {}),
      usdPerMillionTokens: known.usdPerMillionTokens,
      maxInputTokens: known.maxInputTokens,
    });
  },
};
