import { createHash } from 'node:crypto';
import type { LinguistAttributes } from '../git/attributes.js';
import { UsageError } from '../errors.js';
import { INCLUDE, skip } from './decision.js';
import type { FilterDecision } from './decision.js';
import { compileExcludes } from './exclude.js';
import {
  hasGeneratedMarker,
  hasGeneratedName,
  isBinary,
  isLfsPointer,
  isLockFile,
  isVendoredPath,
  looksMinified,
} from './rules.js';

export const DEFAULT_MAX_FILE_BYTES = 1024 * 1024;

/**
 * Bumped whenever a rule changes what it decides (a new generated banner, another
 * binary test): decisions remembered by an older filter are then made again.
 */
export const FILTER_VERSION = 1;

/** The `.gitctx/` directory at the repository root holds gitctx's own files. */
export const GITCTX_DIRECTORY = '.gitctx/';

export interface FilterOptions {
  /** Globs from `index.exclude`; see compileExcludes for the syntax. */
  exclude?: readonly string[];
  /** Files larger than this are skipped as `too-large` (default 1 MiB, `index.max_file_bytes`). */
  maxFileBytes?: number;
}

/** What the path stage needs: known from a tree listing, before any content is read. */
export interface PathCandidate {
  path: string;
  /** Defaults to a regular file. */
  kind?: 'blob' | 'symlink' | 'submodule';
  /** Size in bytes when known (ls-tree -l, batch-check, lstat). */
  size?: number | null;
}

export interface FileFilter {
  readonly maxFileBytes: number;
  /**
   * Decides from path, kind, size and attributes alone. Checks run from the most
   * to the least specific reason, and the first that applies is reported.
   */
  decidePath(candidate: PathCandidate, attributes?: LinguistAttributes): FilterDecision;
  /** Decides from the bytes, for files the path stage let through. */
  decideContent(path: string, content: Uint8Array, attributes?: LinguistAttributes): FilterDecision;
  /**
   * A short signature of everything besides a file's path and bytes that a decision
   * about it depends on: the filter's version, its settings and the file's linguist
   * attributes. A remembered decision holds only while this stays the same.
   */
  inputsOf(attributes?: LinguistAttributes): string;
}

/**
 * Builds the filter for one indexing run. Pure: attributes are read by the caller
 * (src/git readAttributes) and passed in, so the same inputs always give the same
 * decisions. Throws UsageError for bad options.
 */
export function createFileFilter(options: FilterOptions = {}): FileFilter {
  const maxFileBytes = options.maxFileBytes ?? DEFAULT_MAX_FILE_BYTES;
  if (!Number.isSafeInteger(maxFileBytes) || maxFileBytes <= 0) {
    throw new UsageError(`index.max_file_bytes must be a positive whole number of bytes, got ${String(maxFileBytes)}`);
  }
  const isExcluded = compileExcludes(options.exclude ?? []);
  const settings = JSON.stringify([FILTER_VERSION, maxFileBytes, options.exclude ?? []]);

  return {
    maxFileBytes,
    decidePath(candidate, attributes = {}) {
      const { path } = candidate;
      if (candidate.kind === 'submodule') return skip('submodule');
      if (candidate.kind === 'symlink') return skip('symlink');
      if (path.startsWith(GITCTX_DIRECTORY)) return skip('gitctx');
      if (isExcluded(path)) return skip('excluded');
      if (isLockFile(path)) return skip('lock-file');
      // As in linguist, an explicit attribute beats the built-in lists either way.
      if (attributes.vendored ?? isVendoredPath(path)) return skip('vendored');
      if (attributes.generated ?? hasGeneratedName(path)) return skip('generated');
      if (candidate.size !== undefined && candidate.size !== null && candidate.size > maxFileBytes) return skip('too-large');
      return INCLUDE;
    },
    decideContent(path, content, attributes = {}) {
      if (content.length > maxFileBytes) return skip('too-large');
      if (isLfsPointer(content)) return skip('lfs-pointer');
      if (isBinary(content)) return skip('binary');
      if (attributes.generated !== false && (hasGeneratedMarker(content) || looksMinified(path, content))) {
        return skip('generated');
      }
      return INCLUDE;
    },
    inputsOf(attributes = {}) {
      const linguist = JSON.stringify([attributes.generated ?? null, attributes.vendored ?? null]);
      return createHash('sha256').update(settings).update('\0').update(linguist).digest('hex').slice(0, 16);
    },
  };
}
