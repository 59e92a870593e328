import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

import type { FormatName, FormatOptions } from '../../src/format/index.js';
import { formatters } from '../../src/format/index.js';
import type { SearchResponse, SearchResult } from '../../src/search/types.js';
import { expectGolden as expectGoldenFile } from '../helpers/golden.js';

// Matches the start of any escape sequence a terminal would act on.
// eslint-disable-next-line no-control-regex -- detecting escapes is the point
export const ANSI = /\x1b\[/;

/** Everything a formatter writes, joined, and how many writes it took. */
export async function render(
  format: FormatName,
  response: SearchResponse,
  options: FormatOptions = { color: false },
): Promise<{ text: string; writes: number }> {
  const chunks: string[] = [];
  await formatters[format](response, { write: (chunk: string) => chunks.push(chunk) }, options);
  return { text: chunks.join(''), writes: chunks.length };
}

const goldenDir = join(dirname(fileURLToPath(import.meta.url)), 'golden');

/** Compares with test/format/golden/<name>.txt (see test/helpers/golden.ts). */
export function expectGolden(name: string, actual: string): void {
  expectGoldenFile(join(goldenDir, `${name}.txt`), actual);
}

export function result(overrides: Partial<SearchResult>): SearchResult {
  return {
    path: 'src/a.ts',
    startLine: 1,
    endLine: 1,
    score: 0.5,
    scores: {},
    language: 'typescript',
    blobSha: '0123456789abcdef0123456789abcdef01234567',
    isHead: true,
    uncommitted: false,
    content: 'export const a = 1;',
    commit: {
      sha: 'fedcba9876543210fedcba9876543210fedcba98',
      author: 'Grace Hopper',
      date: '2023-01-02T03:04:05Z',
      message: 'Add a',
    },
    ...overrides,
  };
}

/**
 * The golden fixture: a HEAD result with a long quoted subject, a history result
 * with a path of spaces and unicode whose markdown holds code fences, and an
 * uncommitted result whose line numbers cross a digit boundary. Its query is full
 * of YAML punctuation.
 */
export const FIXTURE: SearchResponse = {
  query: 'session: cookie # "remember me"',
  mode: 'hybrid',
  model: 'local-v1',
  results: [
    result({
      path: 'src/auth/session.ts',
      startLine: 12,
      endLine: 18,
      score: 0.873456,
      scores: { vector: 0.901234, text: 12.5 },
      language: 'typescript',
      blobSha: '3f786850e387550fdab836ed7e6dc881de23001b',
      isHead: true,
      content: [
        '/** Sessions last a fortnight unless "remember me" was ticked. */',
        'export function sessionTtl(remember: boolean): number {',
        '  const days = remember ? 30 : 14; // fortnight',
        '',
        '  if (days > 0x1f) throw new Error(`too long: ${days}`);',
        "  return days * 86_400 * 1e3;",
        '}',
      ].join('\n'),
      commit: {
        sha: 'a94a8fe5ccb19ba61c4c0873d391e987982fbbd3',
        author: 'Ada Lovelace',
        // Just past midnight in the author's zone, still the 1st in UTC: the terse
        // date is the author's (2024-05-02), as git log shows it.
        date: '2024-05-02T00:30:00+02:00',
        message: 'Fix "remember me" cookie expiry when the session store is unavailable during login',
      },
    }),
    result({
      path: 'docs/guide ünïcode/Read Me 📘.md',
      startLine: 40,
      endLine: 47,
      score: 1.25,
      scores: { text: 1.25 },
      language: 'markdown',
      blobSha: 'e69de29bb2d1d6434b8b29ae775ad8c2e48c5391',
      isHead: false,
      content: [
        '## Cookies',
        '',
        'Set the cookie like this:',
        '',
        '```ts',
        "setCookie('sid', id, { httpOnly: true });",
        '```',
        'Inline ````four```` ticks.',
      ].join('\n'),
      commit: {
        sha: 'de9f2c7fd25e1b3afad3e85a0bd17d9b100db4b3',
        author: 'Linus Ünïcode',
        date: '2021-11-30T09:15:00-08:00',
        message: 'docs: cookies',
      },
    }),
    result({
      path: 'scripts/deploy.py',
      startLine: 998,
      endLine: 1003,
      score: 0.41,
      scores: { vector: 0.41 },
      language: 'python',
      blobSha: '8ab686eafeb1f44702738c8b0f24f2567c36da6d',
      isHead: true,
      uncommitted: true,
      content: [
        'def deploy(target):',
        '    """Push the build.',
        '    Retries twice."""',
        "    if target is None:  # default",
        "        target = 'staging'",
        '    return run(target, retries=2)',
      ].join('\n'),
      commit: null,
    }),
  ],
};
