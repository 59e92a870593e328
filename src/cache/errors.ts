import { GitctxError, ExitCode, UsageError } from '../errors.js';

/**
 * Bytes that are not a valid cache file: truncated, corrupted, hostile, or written
 * by an incompatible version. Raised by the pure codecs; the cache turns it into a
 * miss plus one warning, so it never reaches the CLI's exit-code mapping.
 */
export class CacheFormatError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'CacheFormatError';
  }
}

/**
 * A blob id that is not 40 or 64 lowercase hex digits. Checked before the id
 * becomes part of a path, so `../` and friends never reach the file system.
 */
export class InvalidBlobShaError extends UsageError {
  constructor(sha: unknown) {
    super(`invalid git blob id ${JSON.stringify(String(sha)).slice(0, 120)}: expected 40 or 64 lowercase hex digits`);
  }
}

/**
 * The caller handed `set()` something that must not be cached (wrong dimensions,
 * NaN from a provider, impossible spans). A bug upstream, not a user mistake.
 */
export class InvalidEmbeddingsError extends GitctxError {
  constructor(message: string) {
    super(message, ExitCode.unexpected);
  }
}
