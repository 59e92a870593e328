import type { SearchResponse } from '../search/types.js';
import type { Highlighter } from './highlight/index.js';

/** Every `--format` value, in the order help text lists them; the first is the default. */
export const FORMATS = ['terse', 'verbose', 'mcp', 'json'] as const;

export type FormatName = (typeof FORMATS)[number];

export const DEFAULT_FORMAT: FormatName = 'terse';

export function isFormatName(name: string): name is FormatName {
  return (FORMATS as readonly string[]).includes(name);
}

/** Where a formatter writes: process.stdout in the CLI, an array in tests. */
export interface FormatOutput {
  write(chunk: string): unknown;
}

export interface FormatOptions {
  /** ANSI styling on; decide it with `shouldColor`. Ignored by mcp and json, which never colour. */
  color: boolean;
  /**
   * Replaces the built-in syntax highlighter in verbose output when `color` is on.
   * Left out, the default is loaded lazily on first use.
   */
  highlighter?: Highlighter;
}

/**
 * Writes one search response in one format. Synchronous unless it has to load
 * something (verbose with colour loads the highlighter), so callers always await.
 */
export type Formatter = (response: SearchResponse, out: FormatOutput, options: FormatOptions) => void | Promise<void>;
