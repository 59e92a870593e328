/**
 * Builds the embedding provider named by `model.embedding`, through the registry
 * (registry.ts): the first provider that serves the name builds it. The config layer
 * resolves the key (OPENAI_API_KEY, api_keys.openai) and the base URL (model.base_url,
 * OPENAI_BASE_URL) and passes them in; nothing here reads the environment.
 *
 * Model names in the cache: a local model's name (`local-v1`, `local-v2`); an API model's own name;
 * with `dimensions` shortening a known model, or set for an unknown one, the name gets
 * `@<dims>` (`text-embedding-3-large@256`), because shortened vectors are different vectors
 * and must never share a cache directory with full ones. An ONNX model's name carries the exact
 * weights: `<preset>@<commit12>` (`bge-small-en-v1.5@5c38ec7c405e`), `hf:<org>/<name>@<commit12>`,
 * or for `model.path`, `<name>@sha256:<16 hex>` over the model's files (onnx/model-files.ts),
 * so vectors of two revisions never mix.
 *
 * A dry run plans only: no key is needed and nothing is sent, ever; sizes and prices come
 * from the providers' tables (an unknown model's size from `dimensions`, else from what
 * the caller learnt from the index or the cache).
 */
import { UsageError } from '../errors.js';
import type { BatchLimits } from './batch.js';
import { providerEntryFor } from './registry.js';
import type { RetryPolicy } from './retry.js';
import type { EmbeddingProvider } from './types.js';

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
  /** `model.path`: a local directory holding an ONNX model's files; no download (ONNX models only). */
  modelPath?: string;
  /** `$GITCTX_HOME/models`: where ONNX models from the hub are kept. */
  modelsDir?: string;
  /** The hub (or a mirror) ONNX models are downloaded from; https://huggingface.co by default. */
  hubUrl?: string;
  /** Bytes of a model download done and total, for a progress line on stderr. */
  onModelDownload?: (done: number, total: number, file: string) => void;
  /** Worker threads for an ONNX model (default min(cores, 4)). */
  onnxThreads?: number;
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
  const entry = providerEntryFor(name);
  if (options.modelPath !== undefined && entry.kind !== 'onnx') {
    throw new UsageError(
      `model.path is set, but model.embedding is ${JSON.stringify(name.slice(0, 80))}: set model.embedding to onnx (or the preset the files are) to use it, or unset model.path`,
    );
  }
  const provider = await entry.create(name, options);
  return options.dryRun !== undefined && provider.inProcess !== true ? planOnly(provider) : provider;
}

/** For a dry run, the provider with an `embed` that refuses: a plan that tried to send would be a bug. */
function planOnly(provider: EmbeddingProvider): EmbeddingProvider {
  return {
    ...provider,
    embed: () => Promise.reject(new Error('a dry run sends no request; this is a bug in gitctx')),
  };
}
