/**
 * Any other model name, served by whatever speaks the OpenAI embeddings API at model.base_url
 * (Ollama, vLLM, LM Studio, LiteLLM). Price 0. Size from model.dimensions when given (then sent
 * as the `dimensions` parameter, and the cache name gets `@<dims>`), else learned by embedding
 * one short probe when the provider is created, which also surfaces a wrong URL or key before
 * any real work starts. A dry run never probes: it plans with the size the caller learnt from
 * disk, or any size when nothing is cached for the model (it then plans alike at every size).
 *
 * The catch-all: the registry lists it last.
 */
import type { ProviderEntry } from '../registry.js';
import { openAISetup } from './openai-setup.js';

const DEFAULT_MAX_INPUT_TOKENS = 8191;

export const openAICompatibleProvider: ProviderEntry = {
  kind: 'openai-compatible',
  serves: () => true,
  known: () => undefined,
  async create(name, options) {
    const setup = await openAISetup(name, options);
    const d = options.dimensions;
    const dims = d ?? (options.dryRun !== undefined ? (options.dryRun.dims ?? 1) : await setup.probeDimensions(setup.request));
    return setup.createOpenAIProvider({
      ...setup.provider,
      cacheModel: d !== undefined ? `${name}@${d}` : name,
      dims,
      ...(d !== undefined ? { requestDimensions: d } : {}),
      usdPerMillionTokens: 0,
      maxInputTokens: options.maxInputTokens ?? DEFAULT_MAX_INPUT_TOKENS,
    });
  },
};
