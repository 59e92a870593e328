/**
 * Keeping a committed embedding cache healthy.
 *
 * The cache (src/cache) arrives through `git pull` like any other file, so it can
 * grow stale, bloated or hostile. This module looks after it as a whole, while
 * src/cache reads and writes one file at a time:
 *
 * - `cacheStats` counts files and bytes per model and encoding from each file's
 *   headers alone (`gitctx cache stats`, `gitctx status`); `cachedDims` reads the
 *   vector size a model's files declare.
 * - `verifyCache` holds every file to the repository it claims to describe (blob
 *   present, spans as the chunker gives them, a re-embedded sample) and, asked to,
 *   repairs the bad ones from the search index's vectors (`gitctx cache verify` checks, `gitctx cache verify --repair` mends).
 * - `pruneCache` removes the files of blobs git can no longer reach (`gitctx cache prune`).
 *
 * All three walk the directory with one untrusting scan (scan.ts); every git
 * question goes through src/git, and blob contents through its one blob stream
 * (`streamBlobs`, which the indexer reads with too).
 */
export { cacheStats, cachedDims } from './stats.js';
export type { CacheStats, CacheStatsGroup } from './stats.js';
export { API_MAX_DEVIATION, CacheVerifyError, DETERMINISTIC_MAX_DEVIATION, verifyCache } from './verify.js';
export type {
  IndexedChunk,
  ReembedReport,
  RepairedFile,
  RepairOptions,
  RepairReport,
  VerifyIssue,
  VerifyModel,
  VerifyOptions,
  VerifyPhase,
  VerifyReport,
} from './verify.js';
export { pruneCache } from './prune.js';
export type { PrunedFile, PruneOptions, PruneReport } from './prune.js';
