/**
 * The embedding cache: one file per (git blob, embedding model), committed to the
 * repository so nobody pays to embed the same content twice.
 *
 * Content-addressed: `.gitctx/embeddings/<model-dir>/<sha[0:2]>/<sha>.safetensors.zst`
 * holds the vectors of every chunk of blob `<sha>`, a safetensors file in one
 * zstd frame (shared/spec/cache-format.md). Files are byte-deterministic, so two
 * people indexing the same commit never conflict in git.
 *
 * Two layers, both here: the codec (safetensors in zstd, pure, with every limit a
 * hostile file could stretch) and the store, `EmbeddingCache`, whose `get` returns
 * embeddings or a miss (a corrupt or hostile file, arriving through `git pull`, is
 * a miss with one warning, never a crash) and whose `set` validates and writes
 * atomically. The paths helpers name files and model directories. `CacheHeaderPeek`
 * reads a file's metadata from its first bytes, for tools that survey many files.
 * Looking after the cache as a whole (stats, verify and repair, prune) is
 * src/cache-maintenance.
 */
export { EmbeddingCache, DEFAULT_CHUNKER } from './embedding-cache.js';
export type { EmbeddingCacheOptions, CacheFileSystem, SetInfo } from './embedding-cache.js';
export type { CacheEncoding, Embedding } from './types.js';
export { CACHE_ENCODINGS } from './types.js';
export { CacheFormatError, InvalidBlobShaError, InvalidEmbeddingsError } from './errors.js';
export { CACHE_FORMAT, decodeCacheFile, encodeCacheFile, maxChunksPerFile } from './codec.js';
export type { CacheEntry, CacheKey, CacheReadResult, EncodeOptions } from './codec.js';
export { CACHE_FILE_SUFFIX, isBlobSha, modelDirName, modelFromDirName } from './paths.js';
export { decodeSafetensors, encodeSafetensors } from './safetensors.js';
export type { DType, Safetensors, Tensor } from './safetensors.js';
export { MAX_DECOMPRESSED_BYTES } from './zstd.js';
export { CacheHeaderPeek, declaredDims, PEEK_CHUNK_BYTES, peekCacheMetadata } from './peek.js';
