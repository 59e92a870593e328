import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import {
  decodeVectors,
  encodeVectors,
  f16BitsToF32,
  f32ToF16Bits,
  fromF16,
  shuffleF32,
  toF16,
  unshuffleF32,
} from '../../src/cache/encoding.js';
import { CacheFormatError } from '../../src/cache/errors.js';
import { CACHE_ENCODINGS } from '../../src/cache/types.js';
import { cosine, unitVectors } from '../helpers/cache-data.js';

/**
 * Reference conversion, written independently of the code under test: the
 * nearest of all finite halves by exhaustive search (ties to the even bit
 * pattern), infinity beyond the rounding threshold.
 */
const finiteHalves = (() => {
  const list: Array<{ bits: number; value: number }> = [];
  for (let bits = 0; bits < 0x7c00; bits++) list.push({ bits, value: f16BitsToF32(bits) });
  return list;
})();
function referenceF16(x: number): number {
  const sign = Object.is(x, -0) || x < 0 ? 0x8000 : 0;
  const a = Math.abs(x);
  if (a >= 65520) return sign | 0x7c00; // 65504 + half an ulp (16) rounds to even: infinity
  let lo = 0;
  let hi = finiteHalves.length - 1;
  while (hi - lo > 1) {
    const mid = (lo + hi) >> 1;
    if (finiteHalves[mid]!.value <= a) lo = mid;
    else hi = mid;
  }
  const below = finiteHalves[lo]!;
  const above = finiteHalves[hi]!;
  const dBelow = a - below.value;
  const dAbove = above.value - a;
  const pick = dBelow < dAbove ? below : dAbove < dBelow ? above : below.bits % 2 === 0 ? below : above;
  return sign | pick.bits;
}

describe('f16 conversion', () => {
  it.each([
    [0, 0x0000],
    [-0, 0x8000],
    [1, 0x3c00],
    [-2, 0xc000],
    [0.5, 0x3800],
    [65504, 0x7bff],
    [65519.99, 0x7bff],
    [65520, 0x7c00],
    [1e6, 0x7c00],
    [Infinity, 0x7c00],
    [-Infinity, 0xfc00],
    [2 ** -14, 0x0400], // smallest normal
    [2 ** -24, 0x0001], // smallest subnormal
    [2 ** -25, 0x0000], // tie between 0 and 2^-24: to even (0)
    [3 * 2 ** -25, 0x0002], // tie between 1 and 2 units: to even (2)
    [2 ** -14 - 2 ** -25, 0x0400], // tie between largest subnormal (odd) and smallest normal: up
    [1 + 2 ** -11, 0x3c00], // tie at 1: to even
    [1 + 3 * 2 ** -11, 0x3c02], // tie at 1 + 1 ulp: to even (up)
    [1e-10, 0x0000],
  ])('%d -> 0x%s', (value, bits) => {
    expect(f32ToF16Bits(value).toString(16)).toBe(bits.toString(16));
  });

  it('keeps NaN a NaN', () => {
    const h = f32ToF16Bits(NaN);
    expect((h & 0x7c00) === 0x7c00 && (h & 0x3ff) !== 0).toBe(true);
    expect(f16BitsToF32(h)).toBeNaN();
  });

  it('round-trips every finite half exactly', () => {
    const wrong: number[] = [];
    for (let h = 0; h < 0x10000; h++) {
      if ((h & 0x7c00) === 0x7c00 && (h & 0x3ff) !== 0) continue; // NaNs
      if (f32ToF16Bits(f16BitsToF32(h)) !== h) wrong.push(h);
    }
    expect(wrong).toEqual([]);
  });

  it('rounds any float32 like the exhaustive reference', () => {
    fc.assert(
      fc.property(fc.float({ noNaN: true }), (x) => {
        expect(f32ToF16Bits(x)).toBe(referenceF16(x));
      }),
      { numRuns: 20_000, seed: 3 },
    );
    // And half-way points specifically, where double rounding would show.
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 0x7bfe }), (h) => {
        const mid = Math.fround((f16BitsToF32(h) + f16BitsToF32(h + 1)) / 2);
        expect(f32ToF16Bits(mid)).toBe(referenceF16(mid));
      }),
      { numRuns: 5_000, seed: 4 },
    );
  });

  it('refuses, in bulk, values that would round to infinity', () => {
    expect([...toF16(Float32Array.of(65519, -65519))]).toEqual([0x7bff, 0xfbff]);
    expect(() => toF16(Float32Array.of(0.5, 65520))).toThrow(/value 65520 at index 1 is outside the f16 range/);
    expect(() => toF16(Float32Array.of(-Infinity))).toThrow(RangeError);
  });

  it('keeps unit vectors within cosine 0.9999 (lossy by design)', () => {
    for (const v of unitVectors(50, 3072, 11)) {
      const back = fromF16(toF16(v));
      expect(cosine(v, back)).toBeGreaterThan(0.9999);
    }
  });
});

describe('byte-plane shuffle', () => {
  it('puts byte p of every value in plane p', () => {
    const values = new Float32Array(new Uint32Array([0x04030201, 0x08070605]).buffer);
    expect([...shuffleF32(values)]).toEqual([1, 5, 2, 6, 3, 7, 4, 8]);
  });

  it('round-trips bit-exactly, including -0, NaN payloads and subnormals', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: 0xffffffff }), { maxLength: 64 }), (words) => {
        const values = new Float32Array(Uint32Array.from(words).buffer);
        const back = unshuffleF32(shuffleF32(values));
        expect([...new Uint32Array(back.buffer)]).toEqual(words);
      }),
      { numRuns: 300, seed: 5 },
    );
  });

  it('reads planes at any byte offset (word-at-a-time and byte-at-a-time paths agree)', () => {
    const values = Float32Array.from(unitVectors(1, 64, 9)[0]!);
    const planes = shuffleF32(values);
    for (const offset of [0, 1, 2, 3, 4]) {
      const host = new Uint8Array(planes.length + offset);
      host.set(planes, offset);
      expect([...unshuffleF32(host.subarray(offset))]).toEqual([...values]);
    }
  });
});

describe('encodeVectors / decodeVectors', () => {
  const dims = 16;
  const flat = Float32Array.from(unitVectors(3, dims, 2).flatMap((v) => [...v]));

  it.each(CACHE_ENCODINGS)('%s round-trips with the documented dtype and shape', (encoding) => {
    const tensor = encodeVectors(flat, 3, dims, encoding);
    const expected = { f32: ['F32', [3, dims]], 'f32-shuffle': ['U8', [4, 3 * dims]], f16: ['F16', [3, dims]] }[encoding];
    expect([tensor.dtype, tensor.shape]).toEqual(expected);
    const back = decodeVectors(tensor, encoding, 3, dims);
    if (encoding === 'f16') expect(cosine(back, flat)).toBeGreaterThan(0.9999);
    else expect([...new Uint32Array(back.buffer, back.byteOffset, back.length)]).toEqual([...new Uint32Array(flat.buffer)]);
  });

  it('refuses a tensor whose dtype or shape does not fit the encoding', () => {
    const tensor = encodeVectors(flat, 3, dims, 'f32');
    expect(() => decodeVectors(tensor, 'f16', 3, dims)).toThrow(CacheFormatError);
    expect(() => decodeVectors(tensor, 'f32', 2, dims)).toThrow(CacheFormatError);
    expect(() => decodeVectors({ ...tensor, shape: [dims, 3] }, 'f32', 3, dims)).toThrow(CacheFormatError);
  });
});
