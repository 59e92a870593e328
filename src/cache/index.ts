/**
 * The embedding cache: one file per (git blob, embedding model), committed to the
 * repository so nobody pays to embed the same content twice.
 *
 * Content-addressed: `.gitctx/embeddings/<model-dir>/<sha[0:2]>/<sha>.safetensors.zst`
 * holds the vectors of every chunk of blob `<sha>`, a safetensors file in one
 * zstd frame (shared/spec/cache-format.md). Files are byte-deterministic, so two
 * people indexing the same commit never conflict in git.
 *
 * `EmbeddingCache.get` returns embeddings or a miss; a corrupt or hostile file
 * (they arrive through `git pull`) is a miss with one warning, never a crash.
 * `set` validates and writes atomically. `cacheStats` summarises the directory.
 * `verifyCache` holds every file to the repository (and re-embeds a sample);
 * `pruneCache` removes the files of blobs git can no longer reach.
 * The safetensors codec is exported for tools that read the files directly.
 */
export { EmbeddingCache, DEFAULT_CHUNKER } from './embedding-cache.js';
export type { EmbeddingCacheOptions, CacheFileSystem, SetInfo } from './embedding-cache.js';
export type { CacheEncoding, Embedding } from './types.js';
export { CACHE_ENCODINGS } from './types.js';
export { cacheStats, cachedDims } from './stats.js';
export type { CacheStats, CacheStatsGroup } from './stats.js';
export { CacheFormatError, InvalidBlobShaError, InvalidEmbeddingsError } from './errors.js';
export { CACHE_FORMAT, decodeCacheFile, encodeCacheFile, maxChunksPerFile } from './codec.js';
export type { CacheEntry, CacheKey, CacheReadResult, EncodeOptions } from './codec.js';
export { CACHE_FILE_SUFFIX, isBlobSha, modelDirName, modelFromDirName } from './paths.js';
export { decodeSafetensors, encodeSafetensors } from './safetensors.js';
export type { DType, Safetensors, Tensor } from './safetensors.js';
export { MAX_DECOMPRESSED_BYTES } from './zstd.js';
export { CacheVerifyError, REPAIR_COMMAND, API_MAX_DEVIATION, DETERMINISTIC_MAX_DEVIATION, checkCacheFile, compareSpans, cosine, pickRandom, verifyCache } from './verify.js';
export { scanCache } from './scan.js';
export type { CacheScan, ScannedCacheFile, ScannedOther } from './scan.js';
export type { CheckedFile, IndexedChunk, ReembedReport, RepairedFile, RepairOptions, RepairReport, VerifyIssue, VerifyModel, VerifyOptions, VerifyPhase, VerifyReport } from './verify.js';
export { applyPrune, findLiveBlobs, listWorktrees, parseWorktreeList, planPrune, pruneCache } from './prune.js';
export type { LiveBlobs, PruneItem, PruneOptions, PrunePlan, PruneReport, PrunedFile, WorktreeInfo } from './prune.js';
