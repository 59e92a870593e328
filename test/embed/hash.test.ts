import { describe, expect, it } from 'vitest';
import { fmix32, hashString } from '../../src/embed/hash.js';

describe('hashString', () => {
  // Pinned: these values decide which bucket every local-v1 feature lands in.
  // If one changes, every committed local-v1 cache file is wrong.
  it.each([
    ['', 91794203],
    ['a', 2507021586],
    ['parse', 891645368],
    ['变量', 3433187856],
    ['𝒳', 3710990749],
  ])('%j → %i', (s, h) => {
    expect(hashString(s)).toBe(h);
  });

  it('hashes UTF-8 bytes, so a lone surrogate is hashed as U+FFFD', () => {
    expect(hashString('\ud835')).toBe(hashString('\ufffd'));
  });

  it('separates salts', () => {
    expect(hashString('parse', 1)).not.toBe(hashString('parse', 2));
  });

  it('returns unsigned 32-bit integers', () => {
    for (const s of ['x', 'yy', 'zzz', 'parseJson']) {
      const h = hashString(s);
      expect(Number.isInteger(h) && h >= 0 && h < 2 ** 32).toBe(true);
    }
    expect(fmix32(0)).toBe(0);
  });
});
