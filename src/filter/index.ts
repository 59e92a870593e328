/**
 * What gets indexed, and why not.
 *
 * Every decision is a value, `{ include: true }` or `{ include: false, reason }`,
 * as ripgrep's ignore crate reports which rule matched; the reason strings are
 * stable keys of the index summary (`skipped: {"<reason>": count}`). Two stages,
 * so nothing is read that the path already rules out: `decidePath` sees the path,
 * entry kind, size from the tree listing and the linguist attributes;
 * `decideContent` sees the bytes (binary, LFS pointer, generated/minified). Pure:
 * no I/O; git attributes are read by src/git and passed in.
 */
export { INCLUDE, SKIP_REASONS, skip, tallySkips } from './decision.js';
export type { FilterDecision, SkipReason, SkipSummary } from './decision.js';
export { DEFAULT_MAX_FILE_BYTES, FILTER_VERSION, GITCTX_DIRECTORY, createFileFilter } from './file-filter.js';
export type { FileFilter, FilterOptions, PathCandidate } from './file-filter.js';
export { compileExcludes } from './exclude.js';
export {
  BINARY_SNIFF_BYTES,
  GENERATED_NAME_PATTERNS,
  LOCK_FILE_NAMES,
  VENDORED_DIRECTORY_NAMES,
  VENDORED_FILE_NAMES,
  hasGeneratedMarker,
  hasGeneratedName,
  isBinary,
  isLfsPointer,
  isLockFile,
  isVendoredPath,
  looksMinified,
} from './rules.js';
export type { LinguistAttributes } from '../git/attributes.js';
