/**
 * Formatting: a `SearchResponse` written to a stream, in one of four formats.
 *
 * `formatters` is the registry the CLI picks from by `--format`; each formatter
 * writes only the results to the `out` it is given and does nothing else — pure
 * but for that one write, so tests capture it in an array and the MCP server
 * reuses the pieces (`toJsonShape`, `renderMcpMarkdown`) without a stream.
 *
 *   terse    `path:line:score ● sha7 (YYYY-MM-DD, author) "subject"`, one line per
 *            result. line = start line; score with 3 decimals in every mode (BM25
 *            scores above 1 too); ● only for HEAD results; the subject's first 50
 *            code points exactly, no ellipsis, `\` and `"` escaped; `(uncommitted)`
 *            in place of the commit for work-tree results.
 *   verbose  the terse line, then the code with the file's real line numbers,
 *            a blank line between results; syntax-highlighted only with colour.
 *   mcp      markdown for a prompt: YAML front matter (query, count), one section
 *            per result with path, lines, score, commit and the fenced code.
 *   json     the DESIGN.md search document (plus `uncommitted`), one line.
 *
 * No results: terse and verbose write nothing at all (the CLI says "no results" on
 * stderr and exits 0); json writes the document with `results: []`; mcp writes
 * the front matter with `count: 0` and a "No results." line.
 *
 * Colour: only when `options.color`, which callers set from `shouldColor(stdout,
 * env)`; mcp and json never colour. Without colour no output holds an escape
 * sequence, not even one taken from a file: control characters in paths, authors,
 * messages and code print as their Unicode pictures (␛) in terse, verbose and mcp
 * (printable.ts, the one neutraliser every print path of repository text uses);
 * json keeps them exact, as JSON escapes (\u001b).
 */
import { formatJson } from './json.js';
import { formatMcp } from './mcp.js';
import { formatTerse } from './terse.js';
import type { FormatName, Formatter } from './types.js';
import { formatVerbose } from './verbose.js';

export const formatters: Readonly<Record<FormatName, Formatter>> = {
  terse: formatTerse,
  verbose: formatVerbose,
  mcp: formatMcp,
  json: formatJson,
};

export { DEFAULT_FORMAT, FORMATS, isFormatName } from './types.js';
export type { FormatName, FormatOptions, FormatOutput, Formatter } from './types.js';
export { shouldColor } from './color.js';
export { toJsonShape } from './json.js';
export type { SearchJson, SearchResultJson } from './json.js';
export { renderMcpMarkdown } from './mcp.js';
export { printable } from '../printable.js';
export type { Highlighter } from './highlight/index.js';
