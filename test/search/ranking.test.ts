import { describe, expect, it } from 'vitest';
import { reciprocalRankFusion, RRF_K } from '../../src/search/fusion.js';
import { groupResults } from '../../src/search/group.js';
import { compilePathFilter } from '../../src/search/path-filter.js';
import type { StoredChunk } from '../../src/store/index.js';

function chunk(over: Partial<StoredChunk>): StoredChunk {
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
    ...over,
  };
}

describe('reciprocal rank fusion', () => {
  it('scores 1 for an item first in every list and orders by summed votes', () => {
    const fused = reciprocalRankFusion([['a', 'b', 'c'], ['a', 'c']], (x) => x);
    expect(fused.map((r) => r.item)).toEqual(['a', 'c', 'b']);
    expect(fused[0]!.score).toBeCloseTo(1, 12);
    expect(fused[2]!.score).toBeCloseTo(1 / (RRF_K + 2) / (2 / (RRF_K + 1)), 12);
  });

  it('handles empty lists', () => {
    expect(reciprocalRankFusion([[], []], (x: string) => x)).toEqual([]);
    expect(reciprocalRankFusion([['x'], []], (x) => x)[0]!.score).toBeCloseTo(0.5, 12);
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
      chunk({ startLine: 5, endLine: 5, chunkIndex: 2, content: 'BBB', score: 0.9 }),
      chunk({ path: 'b.ts', blobSha: 'b'.repeat(40), score: 0.7 }),
      chunk({ startLine: 5, endLine: 5, chunkIndex: 1, content: 'AAA', score: 0.6 }),
      chunk({ startLine: 1, endLine: 4, chunkIndex: 0, content: 'head\nof\nthe\nfile', score: 0.5 }),
    ]);
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
