/**
 * Globs (`index.exclude`, `search --path`, the MCP `path` argument) matched in time bounded by
 * path length × pattern length, with limits on every pattern; see glob.ts for the syntax and why
 * it is hand-written.
 */
export { GLOB_LIMITS, GlobSyntaxError, compileGlob } from './glob.js';
export type { GlobOptions } from './glob.js';
