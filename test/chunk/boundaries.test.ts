/**
 * Where chunks start on small, typical files: golden expectations (o200k_base,
 * a 120-token target so these short samples need several chunks). A change
 * here is a change in chunking: bump CHUNKER_VERSION.
 */
import { describe, expect, it } from 'vitest';

import { chunkText, type Chunk } from '../../src/chunk/index.js';
import { GO, PYTHON, TYPESCRIPT } from './samples.js';
import { expectContract, o200kOptions } from './support.js';

const options = o200kOptions(120);

function spans(chunks: readonly Chunk[]): Array<[number, number]> {
  return chunks.map((c) => [c.startLine, c.endLine]);
}

function firstLines(chunks: readonly Chunk[]): string[] {
  return chunks.map((c) => (c.text.split('\n')[0] as string).trim());
}

describe('boundaries at structure', () => {
  it('TypeScript: imports, each documented function, a decorated class split at its methods', () => {
    const chunks = chunkText(TYPESCRIPT, options);
    expectContract(TYPESCRIPT, chunks, options);
    expect(spans(chunks)).toEqual([
      [1, 4],
      [6, 17],
      [19, 23],
      [25, 32],
      [34, 42],
      [44, 46],
    ]);
    expect(firstLines(chunks)).toEqual([
      "import { readFile } from 'node:fs/promises';",
      '/**',
      '@injectable()',
      'get(key: K): V | undefined {',
      'set(key: K, value: V): void {',
      'export function isFresh(stats: Stats, maxAgeMs: number): boolean {',
    ]);
    // The doc comment travels with its function, the decorator with its class.
    expect(chunks[1]?.text).toContain('export async function loadConfig');
    expect(chunks[2]?.text).toContain('export class Cache<K, V> {');
  });

  it('Python: the module head packed, one chunk per function, the main block', () => {
    const chunks = chunkText(PYTHON, options);
    expectContract(PYTHON, chunks, options);
    expect(spans(chunks)).toEqual([
      [1, 10],
      [13, 17],
      [20, 30],
      [33, 35],
    ]);
    expect(firstLines(chunks)).toEqual([
      '"""Utilities for reading sensor data."""',
      'def load(path):',
      'def summarize(readings):',
      'if __name__ == "__main__":',
    ]);
  });

  it('Go: package and imports, then each declaration with its doc comment', () => {
    const chunks = chunkText(GO, options);
    expectContract(GO, chunks, options);
    expect(spans(chunks)).toEqual([
      [1, 9],
      [11, 15],
      [17, 20],
      [22, 31],
      [33, 38],
    ]);
    for (const c of chunks.slice(1)) expect(c.text.startsWith('// ')).toBe(true);
  });

  it('keeps a small file whole', () => {
    for (const text of [TYPESCRIPT, PYTHON, GO]) {
      const chunks = chunkText(text, o200kOptions(400));
      expect(chunks).toHaveLength(1);
      expect(chunks[0]?.text).toBe(text.trimEnd());
    }
  });
});
