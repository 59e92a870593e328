import { describe, expect, it } from 'vitest';
import { CacheFormatError } from '../../src/cache/errors.js';
import { MAX_DECOMPRESSED_BYTES, zstdCompress, zstdContentSize, zstdDecompress, ZstdPrefixDecoder } from '../../src/cache/zstd.js';
import { prng } from '../helpers/cache-data.js';
import { frameOf, lyingFrame, skippableFrame, zeroBomb } from '../helpers/cache-zstd.js';

function sample(length: number, seed = 1): Uint8Array {
  const random = prng(seed);
  // Half noise, half runs: compressible enough to exercise matches and literals.
  return Uint8Array.from({ length }, (_, i) => (i % 64 < 32 ? Math.floor(random() * 256) : i & 0x0f));
}

describe('zstdCompress', () => {
  const data = sample(50_000);

  it('writes one frame with the content size and the checksum flag', () => {
    for (const frame of [zstdCompress(data), zstdCompress(data, 3, [1000, 20_000])]) {
      expect([...frame.subarray(0, 4)]).toEqual([0x28, 0xb5, 0x2f, 0xfd]);
      expect(frame[4]! & 0x04).toBe(0x04);
      expect(zstdContentSize(frame)).toBe(data.length);
      expect(Buffer.from(zstdDecompress(frame)).equals(Buffer.from(data))).toBe(true);
    }
  });

  it('is deterministic and honours the level', () => {
    expect(Buffer.from(zstdCompress(data)).equals(Buffer.from(zstdCompress(data)))).toBe(true);
    expect(Buffer.from(zstdCompress(data, 3, [7, 9000])).equals(Buffer.from(zstdCompress(data, 3, [9000, 7, 7])))).toBe(true);
    expect(zstdCompress(data, 19).length).toBeLessThanOrEqual(zstdCompress(data, 1).length);
    expect(() => zstdCompress(data, 99)).toThrow(RangeError);
  });

  it('handles empty input', () => {
    expect(zstdDecompress(zstdCompress(new Uint8Array(0))).length).toBe(0);
  });
});

describe('zstdDecompress refuses', () => {
  const data = sample(20_000, 2);
  const good = zstdCompress(data);

  it.each([
    ['a frame without content size', () => frameOf(data, { contentSize: false }), /does not declare its content size/],
    ['a frame without checksum', () => frameOf(data, { checksum: false }), /no content checksum/],
    ['two frames', () => Buffer.concat([good, good]), /after the end of the frame/],
    ['trailing garbage', () => Buffer.concat([good, Buffer.from([0])]), /after the end of the frame/],
    ['a skippable frame', () => Buffer.concat([skippableFrame(new Uint8Array(4)), good]), /not a zstd frame/],
    ['not zstd at all', () => new TextEncoder().encode('{"hello": "world"}'), /not a zstd frame/],
    ['a header claiming 2^40 bytes', () => lyingFrame(2n ** 40n), /over the \d+-byte limit/],
    // 2^64-2 is libzstd's own "error" marker, so it fails to parse rather than failing the limit.
    ['a header claiming 2^64-2 bytes', () => lyingFrame(2n ** 64n - 2n), /unreadable frame header/],
    ['a header claiming 2^63 bytes', () => lyingFrame(2n ** 63n), /over the \d+-byte limit/],
    ['a header claiming less than the blocks hold', () => lyingFrame(10n), /corrupt|produced/],
  ])('%s', (_name, make, message) => {
    expect(() => zstdDecompress(make())).toThrow(CacheFormatError);
    expect(() => zstdDecompress(make())).toThrow(message);
  });

  it('every truncation', () => {
    for (let cut = 0; cut < good.length; cut++) {
      expect(() => zstdDecompress(good.subarray(0, cut)), `cut at ${cut}`).toThrow(CacheFormatError);
    }
  });

  it('every single-bit flip, unless the output is unchanged', () => {
    const small = zstdCompress(sample(2_000, 3));
    let caught = 0;
    for (let bit = 0; bit < small.length * 8; bit++) {
      const bad = small.slice();
      bad[bit >> 3]! ^= 1 << (bit & 7);
      try {
        const out = zstdDecompress(bad);
        // A flip the format ignores (say, in the window descriptor) may decode; it must decode to the same bytes.
        expect(Buffer.from(out).equals(Buffer.from(zstdDecompress(small)))).toBe(true);
      } catch (err) {
        expect(err).toBeInstanceOf(CacheFormatError);
        caught++;
      }
    }
    expect(caught).toBeGreaterThan(small.length * 8 * 0.99);
  });

  it('a real 300 MiB bomb before allocating it, in little time and memory', () => {
    const bomb = zeroBomb(300 * 1024 * 1024);
    expect(bomb.length).toBeLessThan(64 * 1024);
    expect(zstdContentSize(bomb)).toBe(300 * 1024 * 1024);
    const before = process.memoryUsage().arrayBuffers;
    const started = performance.now();
    expect(() => zstdDecompress(bomb)).toThrow(/over the 268435456-byte limit/);
    expect(performance.now() - started).toBeLessThan(50);
    expect(process.memoryUsage().arrayBuffers - before).toBeLessThan(16 * 1024 * 1024);
    expect(MAX_DECOMPRESSED_BYTES).toBe(256 * 1024 * 1024);
  });

  it('a bomb under a smaller limit, and accepts it under a larger one', () => {
    const bomb = zeroBomb(4 * 1024 * 1024);
    expect(() => zstdDecompress(bomb, 1024 * 1024)).toThrow(/over the 1048576-byte limit/);
    expect(zstdDecompress(bomb, 8 * 1024 * 1024).length).toBe(4 * 1024 * 1024);
  });
});

describe('ZstdPrefixDecoder', () => {
  it('decompresses only as far as asked, fed in small pieces', () => {
    const data = sample(300_000, 4);
    const frame = zstdCompress(data);
    const decoder = new ZstdPrefixDecoder(1000);
    for (let at = 0; at < frame.length && !decoder.done; at += 100) decoder.push(frame.subarray(at, at + 100));
    expect(decoder.done).toBe(true);
    expect(Buffer.from(decoder.output).equals(Buffer.from(data.subarray(0, 1000)))).toBe(true);
  });

  it('reports corruption as CacheFormatError', () => {
    const frame = zstdCompress(sample(10_000, 5));
    const bad = frame.slice();
    bad.fill(0xff, 6, 40);
    expect(() => new ZstdPrefixDecoder(10_000).push(bad)).toThrow(CacheFormatError);
  });
});
