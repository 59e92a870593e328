import { describe, expect, it } from 'vitest';
import { BM25_HALF, fuseHybrid, hybridScore, saturatedBm25 } from '../../src/search/fusion.js';
import type { Fused } from '../../src/search/fusion.js';
import { groupResults } from '../../src/search/group.js';
import { compilePathFilter } from '../../src/search/path-filter.js';
import type { StoredChunk } from '../../src/store/index.js';

function chunk(over: Partial<Fused<StoredChunk>>): Fused<StoredChunk> {
  return {
    path: 'src/a.ts',
    startLine: 1,
    endLine: 10,
    chunkIndex: 0,
    language: 'typescript',
    blobSha: 'a'.repeat(40),
    isHead: true,
    uncommitted: false,
    content: 'code',
    commit: { sha: 'c'.repeat(40), author: 'Ann', date: '2024-01-01T00:00:00Z', message: 'init' },
    score: 0.5,
    scores: {},
    ...over,
  };
}

describe('absolute scores', () => {
  it('saturates BM25 into [0, 1): 0 for no match, one half at BM25_HALF, rising towards 1', () => {
    expect(saturatedBm25(0)).toBe(0);
    expect(saturatedBm25(BM25_HALF)).toBe(0.5);
    expect(saturatedBm25(3 * BM25_HALF)).toBe(0.75);
    expect(saturatedBm25(1e9)).toBeLessThan(1);
    expect(saturatedBm25(5)).toBeLessThan(saturatedBm25(6));
  });

  it.each([
    [{ vector: 1, text: 1e12 }, 1],
    [{ vector: 1 }, 1],
    [{ vector: 0.3 }, 0.3],
    [{ text: BM25_HALF }, 0.5],
    [{ vector: -0.4, text: BM25_HALF }, 0.5],
    [{ vector: 0.7, text: BM25_HALF }, 0.7],
    [{ vector: 0.2, text: 3 * BM25_HALF }, 0.75],
    [{}, 0],
  ])('the hybrid score of %j is %f, in [0, 1]', (scores, expected) => {
    expect(hybridScore(scores)).toBeCloseTo(expected, 6);
  });

  it('fuses both lists by hybrid score, each item once with both rankers\' scores, and does not rescale to the best', () => {
    const item = (id: string, score: number) => ({ id, score });
    const fused = fuseHybrid([item('a', 0.3), item('b', 0.2)], [item('c', 2), item('a', 1)], (x) => x.id);
    expect(fused.map((f) => [f.id, f.scores])).toEqual([
      ['a', { vector: 0.3, text: 1 }],
      ['b', { vector: 0.2 }],
      ['c', { text: 2 }],
    ]);
    expect(fused.map((f) => f.score)).toEqual([hybridScore({ vector: 0.3, text: 1 }), hybridScore({ vector: 0.2 }), hybridScore({ text: 2 })]);
    // Weak matches stay weak: nothing is normalised so the first result is 1.
    expect(fused[0]!.score).toBeLessThan(0.5);
    expect(fuseHybrid([], [], (x: { score: number }) => String(x.score))).toEqual([]);
  });

  it('orders equal scores by the vector list, then the text list', () => {
    const item = (id: string, score: number) => ({ id, score });
    const fused = fuseHybrid([item('v2', 0.5), item('v1', 0.5)], [item('t2', 7), item('t1', 7)], (x) => x.id);
    expect(fused.map((f) => f.id)).toEqual(['v2', 'v1', 't2', 't1']);
  });
});

describe('grouping results', () => {
  it('shows the same blob and range once, preferring the HEAD copy', () => {
    const old = chunk({ isHead: false, path: 'old/a.ts', score: 0.9, commit: { sha: 'd'.repeat(40), author: 'Bo', date: '2023-01-01T00:00:00Z', message: 'old' } });
    const head = chunk({ score: 0.8 });
    const results = groupResults([old, head]);
    expect(results).toHaveLength(1);
    expect(results[0]).toMatchObject({ path: 'src/a.ts', isHead: true });
  });

  it('merges the overlapping pieces of one long line, and the chunk ending on the line before, into one span; keeps rank order', () => {
    const results = groupResults([
      chunk({ startLine: 5, endLine: 5, chunkIndex: 2, content: 'BBB', score: 0.9, scores: { vector: 0.95, text: 3 } }),
      chunk({ path: 'b.ts', blobSha: 'b'.repeat(40), score: 0.7 }),
      chunk({ startLine: 5, endLine: 5, chunkIndex: 1, content: 'AAA', score: 0.6, scores: { vector: 0.7 } }),
      chunk({ startLine: 1, endLine: 4, chunkIndex: 0, content: 'head\nof\nthe\nfile', score: 0.5, scores: { text: 30 } }),
    ]);
    // A merged span keeps the scores of its best part, the chunk it ranks by.
    expect(results[0]!.scores).toEqual({ vector: 0.95, text: 3 });
    expect(results.map((r) => [r.path, r.startLine, r.endLine, r.score])).toEqual([
      ['src/a.ts', 1, 5, 0.9],
      ['b.ts', 1, 10, 0.7],
    ]);
    expect(results[0]!.content).toBe('head\nof\nthe\nfile\nAAABBB');
    expect(results[0]).not.toHaveProperty('chunkIndex');
  });

  it('keeps different versions of one path apart', () => {
    const results = groupResults([chunk({}), chunk({ blobSha: 'b'.repeat(40), isHead: false })]);
    expect(results).toHaveLength(2);
  });
});

describe('--path globs', () => {
  const cases: [string[], string, boolean][] = [
    [['*.ts'], 'src/deep/a.ts', true],
    [['*.ts'], 'src/a.py', false],
    [['src/**'], 'src/x/y.go', true],
    [['src/**'], 'lib/src/y.go', false],
    [['src/'], 'src/y.go', true],
    [['docs/*.md', '*.py'], 'tool.py', true],
    [['.github/**'], '.github/workflows/ci.yml', true],
    [[], 'anything', true],
  ];
  it.each(cases)('%j matches %s: %s', (globs, path, expected) => {
    expect(compilePathFilter(globs)(path)).toBe(expected);
  });
});
