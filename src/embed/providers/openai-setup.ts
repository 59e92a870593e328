/**
 * What the OpenAI and the OpenAI-compatible providers share: the client module (loaded only
 * here, when an API model is chosen, so the default local model starts without the HTTP
 * client or the tokenizer tables), the base URL (model.base_url, else OpenAI's), the key
 * (required by OpenAI's own API, except in a dry run) and the request options.
 */
import { AuthError, UsageError } from '../../errors.js';
import type { ProviderOptions } from '../factory.js';
import { displayUrl } from '../mask.js';
import { KEY_HELP } from '../names.js';
import type { OpenAIProviderOptions, RequesterOptions } from '../openai.js';
import type { EmbeddingProvider } from '../types.js';

export interface OpenAISetup {
  /** Options every request needs (the probe of an unknown model's size takes only these). */
  request: RequesterOptions;
  /** `request` plus what a provider adds: the tokenizer, batching and concurrency. */
  provider: Omit<OpenAIProviderOptions, 'cacheModel' | 'dims' | 'requestDimensions' | 'usdPerMillionTokens' | 'maxInputTokens'>;
  createOpenAIProvider: (options: OpenAIProviderOptions) => EmbeddingProvider;
  probeDimensions: (options: RequesterOptions) => Promise<number>;
}

function normalizeBaseUrl(url: string): string {
  const trimmed = url.trim().replace(/\/+$/, '');
  let parsed: URL;
  try {
    parsed = new URL(trimmed);
  } catch (err) {
    throw new UsageError('model.base_url is not a URL', { cause: err });
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') {
    throw new UsageError(`model.base_url must be http or https: ${displayUrl(trimmed)}`);
  }
  return trimmed;
}

/** Loads the client and checks the base URL and key for model `name`; UsageError or AuthError when they will not do. */
export async function openAISetup(name: string, options: ProviderOptions): Promise<OpenAISetup> {
  const { OPENAI_BASE_URL, createOpenAIProvider, probeDimensions } = await import('../openai.js');
  const { cl100k } = await import('../cl100k.js');
  const baseUrl = options.baseUrl !== undefined && options.baseUrl.trim() !== '' ? normalizeBaseUrl(options.baseUrl) : OPENAI_BASE_URL;
  const official = baseUrl === OPENAI_BASE_URL;
  const key = options.apiKey?.trim() ?? '';
  if (key === '' && official && options.dryRun === undefined) throw new AuthError(`OpenAI API key missing: ${KEY_HELP}`);
  const request: RequesterOptions = {
    apiModel: name,
    // Local servers (Ollama, LM Studio) usually take no key, but the client needs a value.
    apiKey: key === '' ? 'no-key' : key,
    keyProvided: key !== '',
    ...(options.keyWithheld === true ? { keyWithheld: true } : {}),
    baseUrl,
    ...(options.timeoutMs !== undefined ? { timeoutMs: options.timeoutMs } : {}),
    retry: { ...options.retry, ...(options.maxRetries !== undefined ? { maxRetries: options.maxRetries } : {}) },
    ...(options.encodingFormat !== undefined ? { encodingFormat: options.encodingFormat } : {}),
  };
  const provider = {
    ...request,
    tokenizer: cl100k,
    ...(options.concurrency !== undefined ? { concurrency: options.concurrency } : {}),
    ...(options.batchLimits !== undefined ? { batchLimits: options.batchLimits } : {}),
  };
  return { request, provider, createOpenAIProvider, probeDimensions: (o) => probeDimensions(o) };
}
