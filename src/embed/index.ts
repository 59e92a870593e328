/**
 * Embeddings: one `EmbeddingProvider` interface, chosen by `model.embedding`
 * through the provider registry (registry.ts: one entry per provider, in providers/).
 * `local` (the default) is `local-v2`, an offline model (a shipped token table
 * beside local-v1's weight-free code-word hashing) identical on every machine; API models (OpenAI and compatible servers) are
 * batched, retried and checked so that no wrong vector ever reaches the cache.
 * `codeTerms`/`splitIdentifier` are the shared notion of a code word, also used
 * by full-text search.
 */
export type { EmbeddingProvider, EmbedOptions, EmbedProgress, EmbedResult } from './types.js';
export { createProvider, type ProviderOptions } from './factory.js';
export { knownModel, PROVIDERS, type KnownModel, type ProviderEntry } from './registry.js';
export { KNOWN_OPENAI_MODELS } from './providers/openai.js';
export { createLocalProvider, estimateTokens, LOCAL_MODEL, LOCAL_V1_MODEL, LOCAL_MAX_INPUT_TOKENS } from './local.js';
export { isLocalModel, LOCAL_MODELS } from './names.js';
export { createLocalV2Provider, LOCAL_V2_MODEL } from './local-v2.js';
export { codeTerms, splitIdentifier, words, type CodeTermsOptions } from './tokens.js';
export { maskSecret, redactSecrets } from './mask.js';
export { terminalProgress } from './hub/progress.js';
