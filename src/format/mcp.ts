import { createRequire } from 'node:module';
import type * as Yaml from 'yaml';

import type { SearchResponse, SearchResult } from '../search/types.js';
import { printable } from '../printable.js';
import { commitDay, fenceFor, formatScore, quote, shortSha } from './text.js';
import type { FormatOutput } from './types.js';

/**
 * Markdown for a model's prompt: YAML front matter (query, count), then per result
 * a heading `path:start-end`, one line of score (with each ranker's own), HEAD and commit, and the code in
 * a fence named by its language. Built to survive hostile content: the query is
 * always a double-quoted YAML string (no YAML 1.1 reader turns `yes` into true),
 * the fence is longer than any backtick run in the code, the path sits in a code
 * span so `__init__.py` is not read as emphasis, and control characters are shown
 * as pictures. With no results the document says so after the front matter.
 */
export function renderMcpMarkdown(response: SearchResponse): string {
  const frontMatter = yaml().stringify(
    // `stale` only when true, so the usual document stays as it was.
    { query: response.query, count: response.results.length, ...(response.stale === true ? { stale: true } : {}) },
    { lineWidth: 0, defaultStringType: 'QUOTE_DOUBLE', defaultKeyType: 'PLAIN' },
  );
  const sections = response.results.map(section);
  const body = sections.length === 0 ? '\nNo results.\n' : sections.join('');
  return `---\n${frontMatter}---\n${body}`;
}

let yamlModule: typeof Yaml | undefined;

/**
 * The YAML library, required on first use: every `gitctx search` loads the formatters, and
 * parsing the library is a tenth of a second that only this format needs. On Node it is the
 * same CommonJS module an `import` would load.
 */
function yaml(): typeof Yaml {
  yamlModule ??= createRequire(import.meta.url)('yaml') as typeof Yaml;
  return yamlModule;
}

function section(result: SearchResult): string {
  const heading = `## ${codeSpan(`${printable(result.path)}:${result.startLine}-${result.endLine}`)}`;
  const content = printable(result.content, true);
  const fence = fenceFor(content);
  return `\n${heading}\n\n${describe(result)}\n\n${fence}${infoString(result.language)}\n${content}\n${fence}\n`;
}

function describe(result: SearchResult): string {
  const parts = [`score ${formatScore(result.score)}${rankerScores(result)}`, result.isHead ? 'at HEAD' : 'not at HEAD'];
  const commit = result.commit;
  if (result.uncommitted) parts.push('uncommitted');
  else if (commit === null) parts.push('commit unknown');
  else {
    parts.push(
      `commit ${shortSha(commit.sha)} (${commitDay(commit.date)}, ${printable(commit.author)}) ${quote(printable(commit.message))}`,
    );
  }
  return parts.join(' · ');
}

/** ` (cosine 0.512, BM25 8.310)`: each ranker's own score beside the one the result is ranked by; empty when none. */
function rankerScores({ scores }: SearchResult): string {
  const own = [
    ...(scores.vector !== undefined ? [`cosine ${formatScore(scores.vector)}`] : []),
    ...(scores.text !== undefined ? [`BM25 ${formatScore(scores.text)}`] : []),
  ];
  return own.length === 0 ? '' : ` (${own.join(', ')})`;
}

// Language ids are fence names already; anything else (a backtick, a space) could
// end the info string or the fence, so it is dropped rather than escaped.
function infoString(language: string): string {
  return /^[\w+#.-]+$/.test(language) ? language : '';
}

/** An inline code span that holds any text: delimiters longer than its longest backtick run. */
function codeSpan(text: string): string {
  let longest = 0;
  for (const run of text.match(/`+/g) ?? []) longest = Math.max(longest, run.length);
  const ticks = '`'.repeat(longest + 1);
  // CommonMark strips one space each side, so a leading or trailing backtick stays content.
  const pad = text.startsWith('`') || text.endsWith('`') ? ' ' : '';
  return `${ticks}${pad}${text}${pad}${ticks}`;
}

export function formatMcp(response: SearchResponse, out: FormatOutput): void {
  out.write(renderMcpMarkdown(response));
}
