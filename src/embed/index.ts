/**
 * Embeddings: one `EmbeddingProvider` interface, chosen by `model.embedding`.
 * `local` (the default) is `local-v1`, an offline, weight-free hashing model
 * identical on every machine; `local-v2` adds a token table distilled from
 * Universal Sentence Encoder lite that ships in the package; API models (OpenAI and compatible servers) are
 * batched, retried and checked so that no wrong vector ever reaches the cache.
 * `codeTerms`/`splitIdentifier` are the shared notion of a code word, also used
 * by full-text search.
 */
export type { EmbeddingProvider, EmbedOptions, EmbedProgress, EmbedResult } from './types.js';
export { createProvider, KNOWN_OPENAI_MODELS, type ProviderOptions, type KnownModel } from './factory.js';
export { createLocalProvider, estimateTokens, LOCAL_MODEL, LOCAL_MAX_INPUT_TOKENS } from './local.js';
export { createLocalV2Provider, LOCAL_V2_MODEL } from './local-v2.js';
export { codeTerms, splitIdentifier, words, type CodeTermsOptions } from './tokens.js';
export { maskSecret, redactSecrets } from './mask.js';
