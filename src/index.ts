/** gitctx as a library: the public API of the package's main export. */
export { EmbeddingCache, cacheStats, encodeSafetensors, decodeSafetensors } from './cache/index.js';
export type { Embedding, CacheEncoding, EmbeddingCacheOptions, CacheStats, Safetensors, Tensor } from './cache/index.js';
