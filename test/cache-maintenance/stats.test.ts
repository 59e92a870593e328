import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { mkdtemp, mkdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { EmbeddingCache } from '../../src/cache/embedding-cache.js';
import { cacheStats } from '../../src/cache-maintenance/index.js';
import { zstdDecompress } from '../../src/cache/zstd.js';
import type { CacheEncoding } from '../../src/cache/types.js';
import { makeEmbeddings, SHA1, SHA1_B, SHA256 } from '../helpers/cache-data.js';

let root: string;
beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), 'gitctx-stats-'));
});
afterEach(async () => {
  await rm(root, { recursive: true, force: true });
});

async function sizes(path: string): Promise<{ bytes: number; uncompressedBytes: number }> {
  const bytes = await readFile(path);
  return { bytes: (await stat(path)).size, uncompressedBytes: zstdDecompress(bytes).length };
}

describe('cacheStats', () => {
  it('is empty for a missing directory', async () => {
    expect(await cacheStats(join(root, 'nope'))).toEqual({ groups: [], totals: { files: 0, bytes: 0, uncompressedBytes: 0 } });
  });

  it('counts files and bytes per model directory and encoding, reading only headers', async () => {
    const made: Array<{ model: string; encoding: CacheEncoding; sha: string; chunks: number }> = [
      { model: 'local-v1', encoding: 'f32', sha: SHA1, chunks: 3 },
      { model: 'local-v1', encoding: 'f32', sha: SHA1_B, chunks: 40 }, // > 128 KiB: the header is in the first block only
      { model: 'local-v1', encoding: 'f16', sha: SHA256, chunks: 2 },
      { model: 'BAAI/bge-m3', encoding: 'f32-shuffle', sha: SHA1, chunks: 1 },
    ];
    const expected = new Map<string, { files: number; bytes: number; uncompressedBytes: number }>();
    for (const m of made) {
      const cache = new EmbeddingCache({ dir: root, model: m.model, dims: 1024, encoding: m.encoding });
      await cache.set(m.sha, makeEmbeddings(m.chunks, 1024));
      const s = await sizes(cache.pathFor(m.sha));
      const id = `${cache.modelDir}/${m.encoding}`;
      const e = expected.get(id) ?? { files: 0, bytes: 0, uncompressedBytes: 0 };
      expected.set(id, { files: e.files + 1, bytes: e.bytes + s.bytes, uncompressedBytes: e.uncompressedBytes + s.uncompressedBytes });
    }
    // Noise that is not a cache file: temp files, stray names, a misplaced sha.
    const local = new EmbeddingCache({ dir: root, model: 'local-v1', dims: 1024 });
    await writeFile(`${local.pathFor(SHA1)}.123-1-abcd.tmp`, 'partial');
    await writeFile(join(dirname(local.pathFor(SHA1)), 'README'), 'hi');
    await mkdir(join(root, 'local-v1', 'zz'), { recursive: true });
    await writeFile(join(root, 'local-v1', 'zz', `${SHA1}.safetensors.zst`), 'wrong fan-out');
    await writeFile(join(root, 'stray-file'), 'x');

    const stats = await cacheStats(root);
    expect(stats.groups.map((g) => ({ ...g }))).toEqual(
      [...expected.entries()]
        .map(([id, e]) => {
          const [modelDir, encoding] = id.split('/') as [string, CacheEncoding];
          return { modelDir, model: modelDir === 'local-v1' ? 'local-v1' : 'BAAI/bge-m3', encoding, ...e };
        })
        .sort((a, b) => (a.modelDir + a.encoding < b.modelDir + b.encoding ? -1 : 1)),
    );
    const sum = [...expected.values()].reduce((a, e) => ({ files: a.files + e.files, bytes: a.bytes + e.bytes, uncompressedBytes: a.uncompressedBytes + e.uncompressedBytes }));
    expect(stats.totals).toEqual(sum);
  });

  it('counts unreadable files as invalid instead of failing', async () => {
    const cache = new EmbeddingCache({ dir: root, model: 'm', dims: 8 });
    await cache.set(SHA1, makeEmbeddings(1, 8));
    await mkdir(dirname(cache.pathFor(SHA1_B)), { recursive: true });
    await writeFile(cache.pathFor(SHA1_B), 'not zstd at all');
    const stats = await cacheStats(root);
    expect(stats.groups.map((g) => [g.modelDir, g.encoding, g.files])).toEqual([
      ['m', 'f32', 1],
      ['m', 'invalid', 1],
    ]);
    expect(stats.totals.files).toBe(2);
    expect(stats.groups[1]).toMatchObject({ bytes: 15, uncompressedBytes: 0 });
  });
});
