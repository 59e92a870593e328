/**
 * Ranking that does not depend on how many results are asked for: on a corpus deeper than
 * any candidate list, `-n 5` must be the first five of `-n 20` in every mode.
 */
import { describe, expect, it } from 'vitest';
import type { EmbeddingProvider } from '../../src/embed/index.js';
import { Searcher, type SearchOptions } from '../../src/search/search.js';
import type { SearchMode } from '../../src/search/types.js';
import { MemoryVectorStore, memoryChunk, type MemoryChunk } from '../helpers/memory-vector-store.js';

/** A small deterministic generator (mulberry32), so the corpus is the same on every run. */
function random(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const WORDS = ['ledger', 'balance', 'retry', 'cache', 'token', 'parse', 'config', 'stream', 'index', 'query', 'merge', 'lock'];
const DIMS = 8;

function corpus(size: number): MemoryChunk[] {
  const next = random(7);
  return Array.from({ length: size }, (_, i) => {
    const words = Array.from({ length: 6 }, () => WORDS[Math.floor(next() * WORDS.length)]!);
    const vector = new Float32Array(Array.from({ length: DIMS }, () => next() - 0.3));
    const id = String(i).padStart(3, '0');
    return memoryChunk({ path: `src/f${id}.ts`, blobSha: id.padEnd(40, 'a'), content: words.join(' '), vector });
  });
}

function provider(): EmbeddingProvider {
  return {
    model: 'fake-8',
    dims: DIMS,
    maxInputTokens: 100,
    inProcess: true,
    countTokens: (text) => text.split(/\s+/).length,
    embed(texts) {
      const vectors = texts.map((text) => {
        const next = random([...text].reduce((h, c) => (h * 31 + c.charCodeAt(0)) | 0, 1));
        return new Float32Array(Array.from({ length: DIMS }, () => next() - 0.3));
      });
      return Promise.resolve({ vectors, tokens: 0, costUsd: 0 });
    },
  };
}

const QUERIES = ['ledger balance', 'retry the cache', 'parse config token', 'merge lock stream', 'query index'];

describe('results do not depend on -n', () => {
  const searcher = new Searcher(new MemoryVectorStore(corpus(400)), provider());
  const run = (query: string, mode: SearchMode, limit: number) =>
    searcher.search({ query, mode, limit } satisfies SearchOptions).then((r) => r.results.map((x) => `${x.path}:${x.startLine}`));

  it.each(['hybrid', 'vector', 'text'] as SearchMode[])('%s: -n 5 is a prefix of -n 20, and -n 20 of -n 100', async (mode) => {
    for (const query of QUERIES) {
      const [five, twenty, hundred] = await Promise.all([run(query, mode, 5), run(query, mode, 20), run(query, mode, 100)]);
      expect(twenty.length, query).toBe(20);
      expect(five, `${mode} ${query}`).toEqual(twenty.slice(0, 5));
      expect(twenty, `${mode} ${query}`).toEqual(hundred.slice(0, 20));
    }
  });
});
