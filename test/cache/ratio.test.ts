/**
 * Compression ratio on typical embedding data (the spec's claim): unit-length
 * 3072-dim float32 vectors with Gaussian components, stored the way the cache
 * stores them (typical files of 8 chunks, ~100 KB) and as one large file.
 * The ratio is compressed bytes over the uncompressed F32 safetensors file.
 */
import { describe, expect, it } from 'vitest';
import type { CacheKey } from '../../src/cache/codec.js';
import { encodeCacheFile } from '../../src/cache/codec.js';
import { zstdContentSize } from '../../src/cache/zstd.js';
import type { CacheEncoding, Embedding } from '../../src/cache/types.js';
import { CACHE_ENCODINGS } from '../../src/cache/types.js';
import { makeEmbeddings, SHA1 } from '../helpers/cache-data.js';

const DIMS = 3072;
const VECTORS = 1024;
const key: CacheKey = { blobSha: SHA1, model: 'text-embedding-3-large', dims: DIMS, chunker: 'lines/1' };
const all = makeEmbeddings(VECTORS, DIMS, 2024);

function measure(encoding: CacheEncoding, perFile: number): { compressed: number; uncompressedF32: number } {
  let compressed = 0;
  let uncompressedF32 = 0;
  for (let at = 0; at < all.length; at += perFile) {
    const part: Embedding[] = all.slice(at, at + perFile);
    compressed += encodeCacheFile(key, part, { encoding }).length;
    // The baseline is the same file uncompressed as F32: the frame header states its size.
    uncompressedF32 += zstdContentSize(encodeCacheFile(key, part, { encoding: 'f32', level: 1 }));
  }
  return { compressed, uncompressedF32 };
}

const limits: Record<CacheEncoding, number> = { f32: 0.93, 'f32-shuffle': 0.88, f16: 0.5 };

describe(`compression ratio, ${VECTORS} unit vectors x ${DIMS} dims`, () => {
  const rows: string[] = ['| encoding | chunks/file | compressed | uncompressed F32 | ratio |', '|---|---|---|---|---|'];

  for (const perFile of [8, VECTORS]) {
    it.each(CACHE_ENCODINGS)(`%s, ${perFile} chunks per file`, (encoding) => {
      const { compressed, uncompressedF32 } = measure(encoding, perFile);
      const ratio = compressed / uncompressedF32;
      rows.push(`| ${encoding} | ${perFile} | ${compressed} | ${uncompressedF32} | ${ratio.toFixed(4)} |`);
      expect(ratio).toBeLessThanOrEqual(limits[encoding]);
    });
  }

  it('report', () => {
    console.log(rows.join('\n'));
    expect(rows.length).toBe(2 + 2 * CACHE_ENCODINGS.length);
  });
});
