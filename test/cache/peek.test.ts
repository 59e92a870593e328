import { describe, expect, it } from 'vitest';
import { CacheFormatError, CacheHeaderPeek, declaredDims, decodeSafetensors, encodeCacheFile, peekCacheMetadata } from '../../src/cache/index.js';
import { zstdCompress, zstdDecompress } from '../../src/cache/zstd.js';
import { makeEmbeddings, SHA1 } from '../helpers/cache-data.js';

const key = { blobSha: SHA1, model: 'm', dims: 64, chunker: 'c' };
const file = encodeCacheFile(key, makeEmbeddings(200, 64));
const metadata = decodeSafetensors(zstdDecompress(file)).metadata;

describe('CacheHeaderPeek', () => {
  it('reads the metadata from the file whole or pushed in small pieces, without decompressing the rest', () => {
    expect(peekCacheMetadata(file)).toEqual(metadata);
    const peek = new CacheHeaderPeek();
    let pushed = 0;
    while (!peek.done && pushed < file.byteLength) {
      peek.push(file.subarray(pushed, pushed + 100));
      pushed += 100;
    }
    expect(peek.metadata).toEqual(metadata);
    expect(peek.contentSize).toBe(zstdDecompress(file).byteLength);
    expect(pushed).toBeLessThan(file.byteLength);
  });

  it('refuses an empty file, a frame declaring too much, and a header cut off', () => {
    expect(() => peekCacheMetadata(new Uint8Array())).toThrow(/too short for a frame header/);
    const cut = zstdDecompress(file).subarray(0, 20);
    expect(() => peekCacheMetadata(zstdCompress(cut))).toThrow(CacheFormatError);
    expect(() => peekCacheMetadata(file.subarray(0, 40))).toThrow('safetensors: the header is cut off');
  });

  it('declaredDims takes a plausible count only', () => {
    expect(declaredDims({ dims: '64' })).toBe(64);
    expect(declaredDims({ dims: '065' })).toBeUndefined();
    expect(declaredDims({ dims: '70000' })).toBeUndefined();
    expect(declaredDims({})).toBeUndefined();
  });
});
