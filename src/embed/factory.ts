/**
 * Picks the embedding provider named by `model.embedding`. The config layer
 * resolves the key (OPENAI_API_KEY, api_keys.openai) and the base URL
 * (model.base_url, OPENAI_BASE_URL) and passes them in; nothing here reads the
 * environment. API modules are loaded only when an API model is chosen, so the
 * default local model starts without the HTTP client or the tokenizer tables.
 *
 * Model names in the cache: `local-v1`, `local-v2`; an API model's own name; with
 * `dimensions` shortening a known model, or set for an unknown one, the name
 * gets `@<dims>` (`text-embedding-3-large@256`), because shortened vectors are
 * different vectors and must never share a cache directory with full ones.
 *
 * Unknown models (served by Ollama, vLLM, ...): price 0; size from `dimensions`
 * when given (and sent as the `dimensions` parameter), else learned by embedding
 * one short probe when the provider is created, which also surfaces a wrong URL
 * or key before any real work starts.
 *
 * A dry run plans only: no key is needed and nothing is sent, ever; sizes and
 * prices come from the table below (an unknown model's size from `dimensions`,
 * else from what the caller learnt from the index or the cache).
 */
import { AuthError, UsageError } from '../errors.js';
import { KEY_HELP } from './names.js';
import { createLocalProvider, LOCAL_MODEL, LOCAL_V1_PARAMS } from './local.js';
import { createLocalV2Provider, LOCAL_V2_MODEL, LOCAL_V2_PARAMS, localV2Dims } from './local-v2.js';
import type { BatchLimits } from './batch.js';
import type { RetryPolicy } from './retry.js';
import type { EmbeddingProvider } from './types.js';
import { displayUrl } from './mask.js';

export interface KnownModel {
  dims: number;
  usdPerMillionTokens: number;
  maxInputTokens: number;
  /** Accepts the `dimensions` parameter. */
  shortenable: boolean;
}

export const KNOWN_OPENAI_MODELS: Readonly<Record<string, KnownModel>> = Object.freeze({
  'text-embedding-3-large': { dims: 3072, usdPerMillionTokens: 0.13, maxInputTokens: 8191, shortenable: true },
  'text-embedding-3-small': { dims: 1536, usdPerMillionTokens: 0.02, maxInputTokens: 8191, shortenable: true },
  'text-embedding-ada-002': { dims: 1536, usdPerMillionTokens: 0.1, maxInputTokens: 8191, shortenable: false },
});

export interface ProviderOptions {
  /** `local`, a known OpenAI model, or any model name the server at `baseUrl` serves. */
  embedding: string;
  baseUrl?: string;
  dimensions?: number;
  apiKey?: string;
  /**
   * The user has a key that is deliberately not sent (the endpoint was chosen by a repository):
   * a 401 then says so instead of asking for a key.
   */
  keyWithheld?: boolean;
  /**
   * Plan only (`index --dry-run`): no key needed, no request ever sent (`embed` refuses). `dims` is an
   * unknown model's size when the caller knows it from elsewhere; without it nothing is cached or
   * indexed for the model, so any size plans alike.
   */
  dryRun?: { dims?: number };
  /** Per request. Default 60 s. */
  timeoutMs?: number;
  /** Retries per request after the first attempt. Default 6. */
  maxRetries?: number;
  /** Requests in flight at once. Default 4. */
  concurrency?: number;
  /** Per-input limit for unknown models (default 8191; a server with a smaller context truncates or rejects). */
  maxInputTokens?: number;
  /** Finer retry timing (tests shorten the delays). */
  retry?: Partial<RetryPolicy>;
  /** Smaller requests than the OpenAI limits, for servers that cannot take 2,048 inputs at once. */
  batchLimits?: Partial<BatchLimits>;
  encodingFormat?: 'float' | 'base64';
}

const DEFAULT_MAX_INPUT_TOKENS = 8191;

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

function checkDimensions(dimensions: number | undefined): void {
  if (dimensions !== undefined && (!Number.isInteger(dimensions) || dimensions < 1 || dimensions > 65536)) {
    throw new UsageError(`model.dimensions must be a whole number from 1 to 65536, got ${dimensions}`);
  }
}

export async function createProvider(options: ProviderOptions): Promise<EmbeddingProvider> {
  const name = options.embedding.trim();
  checkDimensions(options.dimensions);
  if (name === '') throw new UsageError('model.embedding is empty: use local, text-embedding-3-large or text-embedding-3-small');
  if (name === 'local' || name === LOCAL_MODEL) {
    if (options.dimensions !== undefined && options.dimensions !== LOCAL_V1_PARAMS.dims) {
      throw new UsageError(
        `the local model has ${LOCAL_V1_PARAMS.dims} dimensions; model.dimensions only applies to API models`,
      );
    }
    return createLocalProvider();
  }
  if (name === LOCAL_V2_MODEL) {
    const dims = localV2Dims(LOCAL_V2_PARAMS);
    if (options.dimensions !== undefined && options.dimensions !== dims) {
      throw new UsageError(`${LOCAL_V2_MODEL} has ${dims} dimensions; model.dimensions only applies to API models`);
    }
    return createLocalV2Provider();
  }

  const { OPENAI_BASE_URL, createOpenAIProvider, probeDimensions } = await import('./openai.js');
  const { cl100k } = await import('./cl100k.js');
  const baseUrl = options.baseUrl !== undefined && options.baseUrl.trim() !== '' ? normalizeBaseUrl(options.baseUrl) : OPENAI_BASE_URL;
  const official = baseUrl === OPENAI_BASE_URL;
  const key = options.apiKey?.trim() ?? '';
  if (key === '' && official && options.dryRun === undefined) throw new AuthError(`OpenAI API key missing: ${KEY_HELP}`);
  const common = {
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
  const providerCommon = {
    ...common,
    tokenizer: cl100k,
    ...(options.concurrency !== undefined ? { concurrency: options.concurrency } : {}),
    ...(options.batchLimits !== undefined ? { batchLimits: options.batchLimits } : {}),
  };

  const known = KNOWN_OPENAI_MODELS[name];
  if (known !== undefined) {
    const d = options.dimensions;
    if (d !== undefined && d !== known.dims && !known.shortenable) {
      throw new UsageError(`${name} does not support model.dimensions`);
    }
    if (d !== undefined && d > known.dims) {
      throw new UsageError(`${name} has at most ${known.dims} dimensions, model.dimensions is ${d}`);
    }
    const shortened = d !== undefined && d !== known.dims;
    return planOnly(options, createOpenAIProvider({
      ...providerCommon,
      cacheModel: shortened ? `${name}@${d}` : name,
      dims: d ?? known.dims,
      ...(shortened ? { requestDimensions: d } : {}),
      usdPerMillionTokens: known.usdPerMillionTokens,
      maxInputTokens: known.maxInputTokens,
    }));
  }

  const d = options.dimensions;
  // A dry run never probes; an unknown size with nothing cached for the model plans the same at any size.
  const dims = d ?? (options.dryRun !== undefined ? (options.dryRun.dims ?? 1) : await probeDimensions(common));
  return planOnly(options, createOpenAIProvider({
    ...providerCommon,
    cacheModel: d !== undefined ? `${name}@${d}` : name,
    dims,
    ...(d !== undefined ? { requestDimensions: d } : {}),
    usdPerMillionTokens: 0,
    maxInputTokens: options.maxInputTokens ?? DEFAULT_MAX_INPUT_TOKENS,
  }));
}

/** For a dry run, the provider with an `embed` that refuses: a plan that tried to send would be a bug. */
function planOnly(options: ProviderOptions, provider: EmbeddingProvider): EmbeddingProvider {
  if (options.dryRun === undefined) return provider;
  return {
    ...provider,
    embed: () => Promise.reject(new Error('a dry run sends no request; this is a bug in gitctx')),
  };
}
