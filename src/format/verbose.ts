import type { SearchResponse, SearchResult } from '../search/types.js';
import type { Palette } from './color.js';
import { palette } from './color.js';
import { highlightLines, loadHighlighter } from './highlight/index.js';
import { headerLine } from './terse.js';
import { printable } from '../printable.js';
import type { FormatOutput, FormatOptions } from './types.js';

/**
 * The terse header, then the code under it with the file's own line numbers,
 * right-aligned; results separated by a blank line. Without colour this is
 * synchronous and loads no highlighter.
 */
export function formatVerbose(response: SearchResponse, out: FormatOutput, options: FormatOptions): void | Promise<void> {
  if (response.results.length === 0) return;
  if (!options.color) {
    const colors = palette(false);
    out.write(joinBlocks(response.results.map((result) => block(result, colors, printable(result.content, true).split('\n')))));
    return;
  }
  return writeHighlighted(response, out, options);
}

async function writeHighlighted(response: SearchResponse, out: FormatOutput, options: FormatOptions): Promise<void> {
  const colors = palette(true);
  const highlighter = options.highlighter ?? (await loadHighlighter());
  const blocks: string[] = [];
  for (const result of response.results) {
    const lines = await highlightLines(highlighter, printable(result.content, true), result.language);
    blocks.push(block(result, colors, lines));
  }
  out.write(joinBlocks(blocks));
}

function block(result: SearchResult, colors: Palette, lines: readonly string[]): string {
  const lastLine = result.startLine + lines.length - 1;
  const width = String(Math.max(lastLine, result.endLine)).length;
  const body = lines.map((line, index) => {
    const gutter = colors.gutter(`${String(result.startLine + index).padStart(width)} │`);
    // No space after the bar on an empty line: no trailing whitespace in the output.
    return line === '' ? gutter : `${gutter} ${line}`;
  });
  return `${headerLine(result, colors)}\n${body.join('\n')}\n`;
}

function joinBlocks(blocks: readonly string[]): string {
  return blocks.join('\n');
}
