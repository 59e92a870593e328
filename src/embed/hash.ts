/**
 * A fixed 32-bit string hash for feature hashing. The local model's vectors are
 * stored in committed cache files, so a feature must land in the same bucket on
 * every machine and in every future version: FNV-1a over the UTF-8 bytes of the
 * string, then murmur3's finaliser (FNV alone leaves the low bits, which pick the
 * bucket, poorly mixed). Nothing here depends on the platform or on V8's own
 * string hashing.
 */

const FNV_OFFSET = 0x811c9dc5;
const FNV_PRIME = 0x01000193;

/** FNV-1a state after one more byte. */
export function fnvByte(h: number, byte: number): number {
  return Math.imul(h ^ byte, FNV_PRIME);
}

/** FNV-1a state after the UTF-8 encoding of one code point. */
export function fnvCodePoint(h: number, cp: number): number {
  if (cp < 0x80) return Math.imul(h ^ cp, FNV_PRIME);
  if (cp < 0x800) {
    h = Math.imul(h ^ (0xc0 | (cp >> 6)), FNV_PRIME);
    return Math.imul(h ^ (0x80 | (cp & 0x3f)), FNV_PRIME);
  }
  if (cp < 0x10000) {
    h = Math.imul(h ^ (0xe0 | (cp >> 12)), FNV_PRIME);
    h = Math.imul(h ^ (0x80 | ((cp >> 6) & 0x3f)), FNV_PRIME);
    return Math.imul(h ^ (0x80 | (cp & 0x3f)), FNV_PRIME);
  }
  h = Math.imul(h ^ (0xf0 | (cp >> 18)), FNV_PRIME);
  h = Math.imul(h ^ (0x80 | ((cp >> 12) & 0x3f)), FNV_PRIME);
  h = Math.imul(h ^ (0x80 | ((cp >> 6) & 0x3f)), FNV_PRIME);
  return Math.imul(h ^ (0x80 | (cp & 0x3f)), FNV_PRIME);
}

/** murmur3 fmix32: spreads every input bit over the whole word. */
export function fmix32(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** Start state, salted so that feature kinds (word, part, n-gram) never share a hash. */
export function fnvStart(salt: number): number {
  return fnvByte(FNV_OFFSET, salt & 0xff);
}

/** Hash of a whole string (UTF-8, surrogate pairs combined; a lone surrogate hashes as U+FFFD). */
export function hashString(s: string, salt = 0): number {
  let h = fnvStart(salt);
  for (let i = 0; i < s.length; i++) {
    let cp = s.charCodeAt(i);
    if (cp >= 0xd800 && cp <= 0xdfff) {
      const next = i + 1 < s.length ? s.charCodeAt(i + 1) : 0;
      if (cp <= 0xdbff && next >= 0xdc00 && next <= 0xdfff) {
        cp = 0x10000 + ((cp - 0xd800) << 10) + (next - 0xdc00);
        i++;
      } else {
        cp = 0xfffd;
      }
    }
    h = fnvCodePoint(h, cp);
  }
  return fmix32(h);
}
