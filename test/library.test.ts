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
});
