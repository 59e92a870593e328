import { describe, expect, it } from 'vitest';

import { toJsonShape } from '../../src/format/index.js';
import type { SearchResult } from '../../src/search/types.js';
import { FIXTURE, render, result } from './support.js';

// shared/DESIGN.md, in its order; `uncommitted` and `scores` are the additions.
const RESULT_KEYS = [
  'path',
  'start_line',
  'end_line',
  'score',
  'language',
  'blob_sha',
  'is_head',
  'content',
  'commit',
  'uncommitted',
  'scores',
];

describe('json format', () => {
  it('is one parseable document on one line', async () => {
    const { text } = await render('json', FIXTURE);
    expect(text.endsWith('\n')).toBe(true);
    expect(text.indexOf('\n')).toBe(text.length - 1);
    expect(() => JSON.parse(text) as unknown).not.toThrow();
  });

  it('says stale: true when the index is behind HEAD', async () => {
    const doc = JSON.parse((await render('json', { ...FIXTURE, stale: true })).text) as Record<string, unknown>;
    expect(doc.stale).toBe(true);
  });

  it('has exactly the DESIGN.md keys, snake_case, with values copied as they are', async () => {
    const doc = JSON.parse((await render('json', FIXTURE)).text) as Record<string, unknown>;
    // `stale` was added after the DESIGN.md keys (the shape only grows).
    expect(Object.keys(doc)).toEqual(['query', 'mode', 'model', 'results', 'stale']);
    expect(doc).toMatchObject({ query: FIXTURE.query, mode: 'hybrid', model: 'local-v1', stale: false });
    const results = doc.results as Record<string, unknown>[];
    expect(results).toHaveLength(3);
    for (const row of results) expect(Object.keys(row)).toEqual(RESULT_KEYS);
    expect(results[0]).toEqual({
      path: 'src/auth/session.ts',
      start_line: 12,
      end_line: 18,
      // Full precision: the 3 decimals are for people, not scripts.
      score: 0.873456,
      language: 'typescript',
      blob_sha: '3f786850e387550fdab836ed7e6dc881de23001b',
      is_head: true,
      content: FIXTURE.results[0]?.content,
      commit: {
        sha: 'a94a8fe5ccb19ba61c4c0873d391e987982fbbd3',
        author: 'Ada Lovelace',
        date: '2024-05-02T00:30:00+02:00',
        message: 'Fix "remember me" cookie expiry when the session store is unavailable during login',
      },
      uncommitted: false,
      scores: { vector: 0.901234, text: 12.5 },
    });
    // Each ranker's score only when that ranker found the result.
    expect(results.map((r) => r.scores)).toEqual([{ vector: 0.901234, text: 12.5 }, { text: 1.25 }, { vector: 0.41 }]);
    expect(Object.keys((results[0]?.commit ?? {}) as object)).toEqual(['sha', 'author', 'date', 'message']);
    expect(results[2]).toMatchObject({ commit: null, uncommitted: true, is_head: true });
  });

  it('keeps content exact, control characters included: JSON escapes them', async () => {
    const content = 'a\x1b[31mb\r\n\tc';
    const { text } = await render('json', { ...FIXTURE, results: [result({ content })] });
    expect(text).toContain('\\u001b[31m');
    const doc = JSON.parse(text) as { results: { content: string }[] };
    expect(doc.results[0]?.content).toBe(content);
  });

  it('prints the document with an empty list when nothing matched', async () => {
    const { text } = await render('json', { ...FIXTURE, results: [] });
    expect(text).toBe('{"query":"session: cookie # \\"remember me\\"","mode":"hybrid","model":"local-v1","results":[],"stale":false}\n');
  });

  it('copies fields by name, so nothing new on SearchResult leaks into the public shape', () => {
    const extra = { ...result({}), internalRank: 3 } as SearchResult;
    const commitExtra = result({ commit: { sha: 'x', author: 'y', date: 'z', message: 'm', parents: [] } as never });
    const shape = toJsonShape({ ...FIXTURE, results: [extra, commitExtra] });
    expect(Object.keys(shape.results[0] ?? {})).toEqual(RESULT_KEYS);
    expect(shape.results[1]?.commit).toEqual({ sha: 'x', author: 'y', date: 'z', message: 'm' });
  });
});
