/**
 * Deterministic test data for the cache tests: seeded PRNG, Gaussian unit
 * vectors (the shape of real embedding output), and Embedding lists.
 */
import type { Embedding } from '../../src/cache/types.js';

/** mulberry32: tiny, fast, good enough for test data; same seed, same sequence everywhere. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Standard normal samples by Box-Muller. */
export function gaussian(random: () => number): () => number {
  let spare: number | undefined;
  return () => {
    if (spare !== undefined) {
      const s = spare;
      spare = undefined;
      return s;
    }
    const u = 1 - random();
    const v = random();
    const r = Math.sqrt(-2 * Math.log(u));
    spare = r * Math.sin(2 * Math.PI * v);
    return r * Math.cos(2 * Math.PI * v);
  };
}

/** `count` unit-length vectors with Gaussian components. */
export function unitVectors(count: number, dims: number, seed: number): Float32Array[] {
  const normal = gaussian(prng(seed));
  const out: Float32Array[] = [];
  for (let c = 0; c < count; c++) {
    const v = new Float64Array(dims);
    let norm = 0;
    for (let d = 0; d < dims; d++) {
      v[d] = normal();
      norm += v[d]! * v[d]!;
    }
    norm = Math.sqrt(norm);
    out.push(Float32Array.from(v, (x) => x / norm));
  }
  return out;
}

export function makeEmbeddings(count: number, dims: number, seed = 1): Embedding[] {
  return unitVectors(count, dims, seed).map((vector, i) => ({
    vector,
    startLine: i * 20 + 1,
    endLine: i * 20 + 20,
    tokens: 100 + i,
    chunkHash: `h${seed.toString(16)}-${i.toString(16).padStart(4, '0')}`,
  }));
}

export function cosine(a: Float32Array, b: Float32Array): number {
  let dot = 0;
  let na = 0;
  let nb = 0;
  for (let i = 0; i < a.length; i++) {
    dot += a[i]! * b[i]!;
    na += a[i]! * a[i]!;
    nb += b[i]! * b[i]!;
  }
  return dot / Math.sqrt(na * nb);
}

export const SHA1 = 'a94a8fe5ccb19ba61c4c0873d391e987982fbbd3';
export const SHA1_B = '0123456789abcdef0123456789abcdef01234567';
export const SHA256 = '2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824';
