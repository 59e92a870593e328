/**
 * gitctx as a library (`import ... from 'gitctx'`): the embedding cache the CLI writes to
 * `.gitctx/embeddings`, so other tools can read and write the same files.
 *
 * - `EmbeddingCache`: get and set one blob's vectors by git blob id, validated on every read,
 *   written atomically (shared/spec/cache-format.md describes the files).
 * - `encodeCacheFile` / `decodeCacheFile`: the whole file (safetensors in one zstd frame) as
 *   bytes, for tools that move cache files without a directory.
 * - `encodeSafetensors` / `decodeSafetensors`: the standard safetensors container alone.
 * - `modelDirName` and `isBlobSha`: how a model name and a blob id become a path.
 * - `cacheStats`: files, bytes and encodings of a cache directory, per model.
 *
 * Everything else in the package is internal and may change without notice.
 */
export { EmbeddingCache, CACHE_ENCODINGS, CACHE_FORMAT, decodeCacheFile, encodeCacheFile, decodeSafetensors, encodeSafetensors, isBlobSha, modelDirName } from './cache/index.js';
export { CacheFormatError, InvalidBlobShaError, InvalidEmbeddingsError } from './cache/index.js';
export type { CacheEncoding, CacheEntry, CacheKey, CacheReadResult, DType, Embedding, EmbeddingCacheOptions, EncodeOptions, Safetensors, SetInfo, Tensor } from './cache/index.js';
export { cacheStats } from './cache-maintenance/index.js';
export type { CacheStats, CacheStatsGroup } from './cache-maintenance/index.js';
