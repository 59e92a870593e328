/**
 * The search pipeline on the in-memory VectorStore: fusion, the noise floor, grouping,
 * filters and the retry on a reopened store, with no database. The fake provider maps each
 * query to a fixed vector and counts its calls.
 */
import { describe, expect, it } from 'vitest';
import type { EmbeddingProvider } from '../../src/embed/index.js';
import { NoIndexError, UsageError } from '../../src/errors.js';
import { hybridScore, saturatedBm25 } from '../../src/search/fusion.js';
import { CANDIDATE_POOL, Searcher, type SearchOptions } from '../../src/search/search.js';
import { MemoryVectorStore, memoryChunk, type MemoryChunk } from '../helpers/memory-vector-store.js';

const v = (...xs: number[]) => new Float32Array(xs);

function fakeProvider(vectors: Record<string, Float32Array>, options: { inProcess?: boolean } = {}) {
  const calls: string[] = [];
  const provider: EmbeddingProvider = {
    model: 'fake-3',
    dims: 3,
    maxInputTokens: 100,
    ...(options.inProcess ? { inProcess: true } : {}),
    countTokens: (text) => text.split(/\s+/).length,
    embed(texts) {
      calls.push(...texts);
      return Promise.resolve({ vectors: texts.map((t) => vectors[t] ?? v(0, 0, 1)), tokens: 0, costUsd: 0 });
    },
  };
  return { provider, calls };
}

const search = (options: Partial<SearchOptions> & Pick<SearchOptions, 'query'>): SearchOptions => ({ mode: 'hybrid', limit: 10, ...options });

// Query "ledger balance" embeds as [1, 0, 0].
const QUERY = 'ledger balance';
const vectors = { [QUERY]: v(1, 0, 0) };
const sha = (c: string) => c.repeat(40);

/** Near in vector space only, near in words only, near in both, and noise. */
const chunks: MemoryChunk[] = [
  memoryChunk({ path: 'src/both.ts', blobSha: sha('b'), content: 'ledger balance total', vector: v(0.9, 0.1, 0) }),
  memoryChunk({ path: 'src/vector.ts', blobSha: sha('v'), content: 'sum of accounts', vector: v(1, 0, 0) }),
  memoryChunk({ path: 'src/words.py', blobSha: sha('w'), language: 'python', content: 'ledger balance ledger', vector: v(0, 1, 0) }),
  memoryChunk({ path: 'src/noise.ts', blobSha: sha('n'), content: 'unrelated', vector: v(0.01, 0, 1) }),
];

describe('the search pipeline over a VectorStore', () => {
  it('vector mode: cosine order, candidates under the noise floor dropped', async () => {
    const { provider } = fakeProvider(vectors);
    const response = await new Searcher(new MemoryVectorStore(chunks), provider).search(search({ query: QUERY, mode: 'vector' }));
    expect(response.model).toBe('fake-3');
    expect(response.results.map((r) => r.path)).toEqual(['src/vector.ts', 'src/both.ts']);
    expect(response.results[0]?.score).toBeCloseTo(1, 6);
  });

  it('vector mode: --min-score replaces the noise floor', async () => {
    const { provider } = fakeProvider(vectors);
    const searcher = new Searcher(new MemoryVectorStore(chunks), provider);
    const response = await searcher.search(search({ query: QUERY, mode: 'vector', minScore: -1 }));
    expect(response.results.map((r) => r.path)).toEqual(['src/vector.ts', 'src/both.ts', 'src/noise.ts', 'src/words.py']);
  });

  it('text mode: term matches only, no query embedded, nothing of the vector search loaded', async () => {
    const { provider, calls } = fakeProvider(vectors);
    const store = new MemoryVectorStore(chunks);
    const response = await new Searcher(store, provider).search(search({ query: QUERY, mode: 'text' }));
    expect(store.prewarmed).toBe(0);
    // score: the saturated BM25; scores.text: BM25 as the store returned it.
    expect(response.results.map((r) => [r.path, r.score, r.scores])).toEqual([
      ['src/words.py', saturatedBm25(3), { text: 3 }],
      ['src/both.ts', saturatedBm25(2), { text: 2 }],
    ]);
    expect(calls).toEqual([]);
  });

  it('hybrid: each chunk scored on its own from the cosine and the saturated BM25, with both rankers\' scores', async () => {
    const { provider } = fakeProvider(vectors);
    const store = new MemoryVectorStore(chunks);
    const response = await new Searcher(store, provider).search(search({ query: QUERY }));
    // The vector search's index is asked to load while the query is embedded.
    expect(store.prewarmed).toBe(1);
    // vector: vector.ts, both.ts; text: words.py, both.ts.
    const bothCosine = 0.9 / Math.hypot(0.9, 0.1);
    expect(response.results.map((r) => r.path)).toEqual(['src/vector.ts', 'src/both.ts', 'src/words.py']);
    expect(response.results.map((r) => r.scores)).toEqual([
      { vector: expect.closeTo(1, 6) },
      { vector: expect.closeTo(bothCosine, 6), text: 2 },
      { text: 3 },
    ]);
    expect(response.results[0]?.score).toBeCloseTo(hybridScore({ vector: 1 }), 6);
    expect(response.results[1]?.score).toBeCloseTo(hybridScore({ vector: bothCosine, text: 2 }), 6);
    expect(response.results[2]?.score).toBeCloseTo(hybridScore({ text: 3 }), 6);
  });

  it.each([
    ['vector', -1, 1],
    ['text', 0, 1],
    ['hybrid', 0, 1],
  ] as const)('%s mode: every score is in [%i, %i], and each ranker\'s own is there only when it returned the chunk', async (mode, low, high) => {
    const { provider } = fakeProvider(vectors);
    const response = await new Searcher(new MemoryVectorStore(chunks), provider).search(search({ query: QUERY, mode, minScore: mode === 'vector' ? -1 : undefined }));
    expect(response.results.length).toBeGreaterThan(0);
    for (const r of response.results) {
      expect(r.score).toBeGreaterThanOrEqual(low);
      expect(r.score).toBeLessThanOrEqual(high);
      if (mode === 'vector') expect(Object.keys(r.scores)).toEqual(['vector']);
      if (mode === 'text') expect(Object.keys(r.scores)).toEqual(['text']);
      if (r.scores.vector !== undefined) expect(Math.abs(r.scores.vector)).toBeLessThanOrEqual(1 + 1e-6);
      if (r.scores.text !== undefined) expect(r.scores.text).toBeGreaterThan(0);
    }
  });

  it('--min-score compares with the mode\'s documented score: hybrid and saturated BM25 in [0, 1]', async () => {
    const { provider } = fakeProvider(vectors);
    const searcher = new Searcher(new MemoryVectorStore(chunks), provider);
    const hybrid = await searcher.search(search({ query: QUERY, minScore: 0.5 }));
    expect(hybrid.results.map((r) => r.path)).toEqual(['src/vector.ts', 'src/both.ts']);
    const text = await searcher.search(search({ query: QUERY, mode: 'text', minScore: saturatedBm25(2.5) }));
    expect(text.results.map((r) => r.path)).toEqual(['src/words.py']);
    expect((await searcher.search(search({ query: QUERY, minScore: 0.995 }))).results.map((r) => r.path)).toEqual(['src/vector.ts']);
  });

  it('a question nothing answers scores below one that matches', async () => {
    const { provider } = fakeProvider({ ...vectors, 'send email over smtp': v(0.1, 0.15, -1) });
    const searcher = new Searcher(new MemoryVectorStore(chunks), provider);
    const match = (await searcher.search(search({ query: QUERY }))).results[0]?.score ?? 0;
    const none = (await searcher.search(search({ query: 'send email over smtp' }))).results[0]?.score ?? 0;
    expect(match).toBeGreaterThan(0.5);
    expect(none).toBeLessThan(match / 2);
  });

  it('groups one blob seen at several paths once, the HEAD copy first, and merges overlapping chunks', async () => {
    const { provider } = fakeProvider(vectors);
    const store = new MemoryVectorStore([
      memoryChunk({ path: 'old/a.ts', isHead: false, blobSha: sha('a'), startLine: 1, endLine: 4, content: 'ledger one', vector: v(1, 0, 0) }),
      memoryChunk({ path: 'src/a.ts', blobSha: sha('a'), startLine: 1, endLine: 4, content: 'ledger one', vector: v(1, 0, 0) }),
      memoryChunk({ path: 'src/a.ts', blobSha: sha('a'), startLine: 4, endLine: 4, chunkIndex: 1, content: ' continued', vector: v(0.8, 0.2, 0) }),
    ]);
    const response = await new Searcher(store, provider).search(search({ query: QUERY, mode: 'vector' }));
    expect(response.results).toHaveLength(1);
    expect(response.results[0]).toMatchObject({ path: 'src/a.ts', isHead: true, startLine: 1, endLine: 4, content: 'ledger one continued' });
    expect(response.results[0]?.score).toBeCloseTo(1, 6);
  });

  it('merges adjacent chunks of one file version into one result, bridging spans; other versions and files stay apart', async () => {
    const { provider } = fakeProvider(vectors);
    const store = new MemoryVectorStore([
      memoryChunk({ path: 'src/a.ts', blobSha: sha('a'), startLine: 11, endLine: 20, chunkIndex: 1, content: 'ledger two', vector: v(1, 0, 0) }),
      memoryChunk({ path: 'src/b.ts', blobSha: sha('b'), startLine: 1, endLine: 5, content: 'ledger other', vector: v(0.9, 0.1, 0) }),
      memoryChunk({ path: 'src/a.ts', blobSha: sha('a'), startLine: 31, endLine: 40, chunkIndex: 3, content: 'ledger four', vector: v(0.8, 0.2, 0) }),
      memoryChunk({ path: 'src/a.ts', blobSha: sha('a'), startLine: 1, endLine: 10, chunkIndex: 0, content: 'ledger one', vector: v(0.7, 0.3, 0) }),
      memoryChunk({ path: 'src/a.ts', blobSha: sha('a'), startLine: 21, endLine: 30, chunkIndex: 2, content: 'ledger three', vector: v(0.6, 0.4, 0) }),
      memoryChunk({ path: 'src/a.ts', blobSha: sha('c'), isHead: false, startLine: 41, endLine: 50, chunkIndex: 4, content: 'old', vector: v(0.5, 0.5, 0) }),
      memoryChunk({ path: 'src/a.ts', blobSha: sha('a'), startLine: 52, endLine: 60, chunkIndex: 5, content: 'ledger gap', vector: v(0.4, 0.6, 0) }),
    ]);
    const response = await new Searcher(store, provider).search(search({ query: QUERY, mode: 'vector' }));
    expect(response.results.map((r) => [r.path, r.blobSha[0], r.startLine, r.endLine])).toEqual([
      ['src/a.ts', 'a', 1, 40],
      ['src/b.ts', 'b', 1, 5],
      ['src/a.ts', 'c', 41, 50],
      ['src/a.ts', 'a', 52, 60],
    ]);
    expect(response.results[0]).toMatchObject({ content: 'ledger one\nledger two\nledger three\nledger four' });
    expect(response.results[0]?.score).toBeCloseTo(1, 6);
  });

  it('passes --path, --lang and --head-only down as one filter, applied before ranking', async () => {
    const { provider } = fakeProvider(vectors);
    const store = new MemoryVectorStore(chunks);
    const response = await new Searcher(store, provider).search(
      search({ query: QUERY, paths: ['*.py', 'src/both.ts'], language: 'Python', headOnly: true }),
    );
    expect(response.results.map((r) => r.path)).toEqual(['src/words.py']);
    const filter = { headOnly: true, language: 'python', paths: { only: ['src/both.ts', 'src/words.py'] } };
    // The two rankers run side by side: either may ask first.
    expect([...store.answered].sort((a, b) => a.kind.localeCompare(b.kind))).toEqual([
      { kind: 'text', limit: CANDIDATE_POOL, filter },
      { kind: 'vector', limit: CANDIDATE_POOL, filter },
    ]);
  });

  it('--lang takes aliases (py, ts, yml) and names in any case; an unknown name is a usage error listing the known ones', async () => {
    const { provider } = fakeProvider(vectors);
    const store = new MemoryVectorStore(chunks);
    const searcher = new Searcher(store, provider);
    expect((await searcher.search(search({ query: QUERY, language: 'py' }))).results.map((r) => r.path)).toEqual(['src/words.py']);
    expect((await searcher.search(search({ query: QUERY, language: 'TS' }))).results.map((r) => r.language)).toEqual(['typescript', 'typescript']);
    expect(store.answered.map((q) => q.filter?.language)).toEqual(['python', 'python', 'typescript', 'typescript']);
    const unknown = searcher.search(search({ query: QUERY, language: 'klingon' }));
    await expect(unknown).rejects.toThrow(UsageError);
    await expect(searcher.search(search({ query: QUERY, language: 'klingon' }))).rejects.toThrow(
      /^--lang: unknown language "klingon"; known: astro, awk, .*typescript, .*zig \(and aliases such as js, ts, py, go, rb, rs, sh, yml, md\)$/,
    );
  });

  it('a path filter that matches most paths lists the others; one that matches none asks the store nothing', async () => {
    const { provider } = fakeProvider(vectors);
    const store = new MemoryVectorStore(chunks);
    const searcher = new Searcher(store, provider);
    await searcher.search(search({ query: QUERY, mode: 'text', paths: ['src/'] }));
    expect(store.answered[0]?.filter).toEqual({});
    await searcher.search(search({ query: QUERY, mode: 'text', paths: ['*.ts'] }));
    expect(store.answered[1]?.filter).toEqual({ paths: { except: ['src/words.py'] } });
    const none = await searcher.search(search({ query: QUERY, paths: ['nowhere/**'] }));
    expect(none.results).toEqual([]);
    expect(store.answered).toHaveLength(2);
  });

  it("caches an API model's query vector in the store; an in-process model's is computed each time", async () => {
    const api = fakeProvider(vectors);
    const store = new MemoryVectorStore(chunks);
    const searcher = new Searcher(store, api.provider);
    await searcher.search(search({ query: QUERY, mode: 'vector' }));
    await searcher.search(search({ query: QUERY, mode: 'vector' }));
    expect(api.calls).toEqual([QUERY]);
    expect(store.queryCache.size).toBe(1);

    const local = fakeProvider(vectors, { inProcess: true });
    const other = new MemoryVectorStore(chunks);
    const localSearcher = new Searcher(other, local.provider);
    await localSearcher.search(search({ query: QUERY, mode: 'vector' }));
    await localSearcher.search(search({ query: QUERY, mode: 'vector' }));
    expect(local.calls).toEqual([QUERY, QUERY]);
    expect(other.queryCache.size).toBe(0);
  });

  it('a store failure is retried once on a reopened store when that reads other data', async () => {
    const { provider } = fakeProvider(vectors);
    class Vanished extends MemoryVectorStore {
      override vectorSearch(): never {
        throw new Error('Not found: chunks.lance/data/gone.lance');
      }
    }
    const stale = new Vanished(chunks, undefined, 1);
    const fresh = new MemoryVectorStore(chunks, undefined, 2);
    const searcher = new Searcher(stale, provider, () => Promise.resolve(fresh));
    const response = await searcher.search(search({ query: QUERY, mode: 'vector' }));
    expect(response.results[0]?.path).toBe('src/vector.ts');
    expect(stale.closed).toBe(true);

    // Nothing moved: the failure is the caller's to see, and the reopened store is closed.
    const broken = new Vanished(chunks, undefined, 3);
    const same = new MemoryVectorStore(chunks, undefined, 3);
    const err = await new Searcher(broken, provider, () => Promise.resolve(same))
      .search(search({ query: QUERY, mode: 'vector' }))
      .catch((e: unknown) => e);
    expect((err as Error).message).toMatch(/Not found/);
    expect(same.closed).toBe(true);
    expect(broken.closed).toBe(false);
  });

  it('gitctx errors are not retried', async () => {
    const { provider } = fakeProvider(vectors);
    let reopened = 0;
    const searcher = new Searcher(new MemoryVectorStore(chunks), provider, () => {
      reopened++;
      return Promise.reject(new NoIndexError());
    });
    await expect(searcher.search(search({ query: QUERY, limit: 0 }))).rejects.toThrow(/-n must be a whole number/);
    expect(reopened).toBe(0);
  });
});
