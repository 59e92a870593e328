import { describe, expect, it } from 'vitest';
import type { EmbeddingProvider } from '../../src/embed/index.js';
import { fileKind, type FileKind } from '../../src/search/file-kind.js';
import { Searcher } from '../../src/search/search.js';
import { MemoryVectorStore, memoryChunk } from '../helpers/memory-vector-store.js';

describe('fileKind', () => {
  const cases: [string, FileKind][] = [
    ['src/http/redirect.ts', 'source'],
    ['lib/adapters/http.js', 'source'],
    ['main.go', 'source'],
    ['src/contest.ts', 'source'],
    ['src/Contest.java', 'source'],
    ['test/redirect.test.ts', 'test'],
    ['src/redirect.test.ts', 'test'],
    ['src/redirect.spec.js', 'test'],
    ['net/http/client_test.go', 'test'],
    ['tests/test_client.py', 'test'],
    ['pkg/test_client.py', 'test'],
    ['src/__tests__/a.js', 'test'],
    ['spec/models/user_spec.rb', 'test'],
    ['src/main/java/FooTest.java', 'test'],
    ['conftest.py', 'test'],
    ['docs/guide/redirects.md', 'docs'],
    ['README.md', 'docs'],
    ['readme', 'docs'],
    ['docs/conf.py', 'docs'],
    ['CONTRIBUTING.md', 'docs'],
    ['examples/follow-redirects.js', 'example'],
    ['CHANGELOG.md', 'changelog'],
    ['HISTORY.rst', 'changelog'],
    ['vendor/github.com/x/y.go', 'generated'],
    ['dist/axios.min.js', 'generated'],
    ['api/v1/service.pb.go', 'generated'],
    ['proto/service_pb2.py', 'generated'],
    ['package-lock.json', 'generated'],
  ];
  it.each(cases)('%s is %s', (path, kind) => {
    expect(fileKind(path)).toBe(kind);
  });
});

describe('the file-kind prior in the pipeline', () => {
  const provider: EmbeddingProvider = {
    model: 'fake-3',
    dims: 3,
    maxInputTokens: 100,
    inProcess: true,
    countTokens: (text) => text.split(/\s+/).length,
    embed: (texts) => Promise.resolve({ vectors: texts.map(() => new Float32Array([1, 0, 0])), tokens: 0, costUsd: 0 }),
  };
  const sha = (c: string) => c.repeat(40);
  // Tests, docs and the changelog say the question's words more often than the code does.
  const store = () =>
    new MemoryVectorStore([
      memoryChunk({ path: 'test/redirect.test.ts', blobSha: sha('1'), content: 'follow redirects follow redirects', vector: new Float32Array([1, 0.05, 0]) }),
      memoryChunk({ path: 'README.md', blobSha: sha('2'), content: 'follow redirects follow redirects follow', vector: new Float32Array([1, 0.1, 0]) }),
      memoryChunk({ path: 'CHANGELOG.md', blobSha: sha('3'), content: 'follow redirects', vector: new Float32Array([1, 0.15, 0]) }),
      memoryChunk({ path: 'lib/http.js', blobSha: sha('4'), content: 'follow redirects follow redirects', vector: new Float32Array([1, 0.2, 0]) }),
      memoryChunk({ path: 'lib/unrelated.js', blobSha: sha('5'), content: 'nothing', vector: new Float32Array([0, 1, 0]) }),
    ]);
  const paths = async (options: { mode: 'hybrid' | 'vector' | 'text'; preferSource?: boolean }) =>
    (await new Searcher(store(), provider).search({ query: 'follow redirects', limit: 10, ...options })).results.map((r) => r.path);

  it.each(['hybrid', 'vector', 'text'] as const)('%s: puts the source file above tests, docs and changelogs, keeping scores as the ranker gave them', async (mode) => {
    const without = await paths({ mode, preferSource: false });
    const withPrior = await paths({ mode });
    expect(without.indexOf('lib/http.js')).toBeGreaterThan(0);
    expect(withPrior[0]).toBe('lib/http.js');
    expect(new Set(withPrior)).toEqual(new Set(without));
  });

  it('reports each result with its ranker’s score, not the weighted one', async () => {
    const response = await new Searcher(store(), provider).search({ query: 'follow redirects', limit: 10, mode: 'vector' });
    const readme = response.results.find((r) => r.path === 'README.md');
    expect(readme?.score).toBeCloseTo(1 / Math.sqrt(1.01), 6);
  });
});
