import type { SearchResponse, SearchResult } from '../search/types.js';
import type { Palette } from './color.js';
import { palette } from './color.js';
import { printable } from '../printable.js';
import { MESSAGE_CHARS, commitDay, firstChars, formatScore, quote, shortSha } from './text.js';
import type { FormatOutput, FormatOptions } from './types.js';

/** Marks a result whose file version is the one at HEAD (or in the work tree). */
export const HEAD_MARKER = '●';

/**
 * `path:line:score ● sha7 (date, author) "subject"`, one line, no newline. The
 * marker appears only for HEAD results; an uncommitted result says `(uncommitted)`
 * in place of the commit.
 */
export function headerLine(result: SearchResult, colors: Palette): string {
  const location = `${colors.path(printable(result.path))}:${colors.line(String(result.startLine))}:${colors.score(formatScore(result.score))}`;
  const marker = result.isHead ? ` ${colors.marker(HEAD_MARKER)}` : '';
  return `${location}${marker} ${commitPart(result, colors)}`;
}

function commitPart(result: SearchResult, colors: Palette): string {
  if (result.uncommitted) return '(uncommitted)';
  const commit = result.commit;
  // Indexed from a commit whose metadata could not be read: say so instead of guessing.
  if (commit === null) return '(no commit)';
  const subject = quote(firstChars(printable(commit.message), MESSAGE_CHARS));
  return `${colors.sha(shortSha(commit.sha))} (${commitDay(commit.date)}, ${printable(commit.author)}) ${subject}`;
}

export function formatTerse(response: SearchResponse, out: FormatOutput, options: FormatOptions): void {
  if (response.results.length === 0) return;
  const colors = palette(options.color);
  out.write(response.results.map((result) => `${headerLine(result, colors)}\n`).join(''));
}
