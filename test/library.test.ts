import { execFileSync } from 'node:child_process';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { makeTempDir } from './helpers/git-repo.js';
import { track } from './helpers/cleanup.js';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');

describe('the package as a library', () => {
  it("`import { EmbeddingCache } from 'gitctx'` writes and reads the cache", () => {
    const temp = track(makeTempDir());
    const script = `
      import { EmbeddingCache, cacheStats } from 'gitctx';
      const dir = ${JSON.stringify(temp.dir)} + '/embeddings';
      const cache = new EmbeddingCache({ dir, model: 'my-model', dims: 4 });
      const sha = 'ab'.repeat(20);
      await cache.set(sha, [{ vector: new Float32Array([0.5, -0.5, 0.5, -0.5]), startLine: 3, endLine: 9, tokens: 42 }]);
      const [hit] = await cache.get(sha);
      const miss = await cache.get('cd'.repeat(20));
      const stats = await cacheStats(dir);
      console.log(JSON.stringify({ vector: Array.from(hit.vector), startLine: hit.startLine, endLine: hit.endLine, tokens: hit.tokens, miss: miss === undefined, files: stats.totals.files }));
    `;
    // Run from the package root so Node resolves 'gitctx' through package.json "exports", as a dependent would.
    const out = execFileSync(process.execPath, ['--input-type=module', '-e', script], { cwd: root, encoding: 'utf8' });
    expect(JSON.parse(out)).toEqual({ vector: [0.5, -0.5, 0.5, -0.5], startLine: 3, endLine: 9, tokens: 42, miss: true, files: 1 });
  });

  it('the codec, the path helpers and the error types are public too', () => {
    const script = `
      import { encodeCacheFile, decodeCacheFile, modelDirName, isBlobSha, CACHE_ENCODINGS, CacheFormatError } from 'gitctx';
      const key = { blobSha: 'ab'.repeat(20), model: 'BAAI/bge-m3', dims: 2, chunker: 'c1' };
      const bytes = encodeCacheFile(key, [{ vector: new Float32Array([0.6, 0.8]), startLine: 1, endLine: 2, tokens: 5 }]);
      const read = decodeCacheFile(bytes, key);
      let refused = false;
      try { decodeCacheFile(bytes.subarray(0, 10), key); } catch (err) { refused = err instanceof CacheFormatError; }
      console.log(JSON.stringify({
        status: read.status, vector: Array.from(read.entry.embeddings[0].vector), dir: modelDirName(key.model),
        sha: isBlobSha(key.blobSha), encodings: CACHE_ENCODINGS, refused,
      }));
    `;
    const out = execFileSync(process.execPath, ['--input-type=module', '-e', script], { cwd: root, encoding: 'utf8' });
    expect(JSON.parse(out)).toEqual({
      status: 'hit',
      vector: [Math.fround(0.6), Math.fround(0.8)],
      dir: '%42%41%41%49%2Fbge-m3',
      sha: true,
      encodings: ['f32', 'f32-shuffle', 'f16'],
      refused: true,
    });
  });
});
