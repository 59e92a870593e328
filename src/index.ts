/** gitctx as a library: the public API of the package's main export. */
export { EmbeddingCache, encodeSafetensors, decodeSafetensors } from './cache/index.js';
export type { Embedding, CacheEncoding, EmbeddingCacheOptions, Safetensors, Tensor } from './cache/index.js';
export { cacheStats } from './cache-maintenance/index.js';
export type { CacheStats } from './cache-maintenance/index.js';
