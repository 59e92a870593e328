import { createHash } from 'node:crypto';
import { countTokens } from 'gpt-tokenizer/encoding/cl100k_base';
import { describe, expect, it } from 'vitest';
import { InterruptedError } from '../../src/errors.js';
import { createLocalProvider, estimateTokens, LOCAL_V1_MODEL } from '../../src/embed/local.js';

const provider = createLocalProvider();

async function vec(text: string): Promise<Float32Array> {
  const [v] = (await provider.embed([text])).vectors;
  if (!v) throw new Error('no vector');
  return v;
}

function cos(a: Float32Array, b: Float32Array): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += (a[i] as number) * (b[i] as number);
  return s;
}

const sha = (v: Float32Array): string => createHash('sha256').update(Buffer.from(v.buffer, v.byteOffset, v.byteLength)).digest('hex');

describe('local-v1', () => {
  it('is named and sized as the cache expects', () => {
    expect(provider.model).toBe(LOCAL_V1_MODEL);
    expect(provider.model).toBe('local-v1');
    expect(provider.dims).toBe(512);
    expect(provider.usdPerMillionTokens).toBe(0);
  });

  // Golden vectors: committed cache files hold these exact bits. A change here
  // is a new model and needs a new name, not a new golden.
  it.each([
    ['export function parseJsonNumber(s: string, pos: number): number | undefined {', '2897486d783509c2d346d26adc8b11321bb9611e0229a5260fcc3a9972d2730f'],
    ['', '3ec722af6978395d69699d66a2fcd29cee44860fd6e55ee9e48410796912251a'],
    ['Ünïcödé 变量名 𝒳', '8e3b02d68328f1201c84ac843793f7cd99f7bf63c8a81d4bb65f8b1041581ba5'],
  ])('gives the pinned vector for %j', async (text, digest) => {
    expect(sha(await vec(text))).toBe(digest);
  });

  it('is deterministic across calls and provider instances', async () => {
    const text = 'const cache = new Map<string, Buffer>(); // LRU of blobs';
    const a = await vec(text);
    const b = (await createLocalProvider().embed([text])).vectors[0] as Float32Array;
    expect(sha(a)).toBe(sha(b));
  });

  it('returns unit-length float32 vectors, one per text, in order', async () => {
    const texts = ['alpha', '', '!!!', 'the of and', 'x'.repeat(10_000), 'getUserById(id)'];
    const { vectors, costUsd } = await provider.embed(texts);
    expect(vectors).toHaveLength(texts.length);
    expect(costUsd).toBe(0);
    for (const v of vectors) {
      expect(v).toBeInstanceOf(Float32Array);
      expect(v.length).toBe(512);
      expect(Math.abs(Math.sqrt(cos(v, v)) - 1)).toBeLessThan(1e-5);
      expect(v.every(Number.isFinite)).toBe(true);
    }
    expect(sha(vectors[5] as Float32Array)).toBe(sha(await vec('getUserById(id)')));
  });

  it('matches identifiers across naming styles and to plain words', async () => {
    const code = await vec('function removeUserAccount(accountId) { db.accounts.delete(accountId) }');
    expect(cos(code, await vec('remove_user_account'))).toBeGreaterThan(0.3);
    expect(cos(code, await vec('how do I delete a user account?'))).toBeGreaterThan(
      cos(code, await vec('how do I render a chart legend?')),
    );
  });

  it('puts similar code closer than unrelated code', async () => {
    const a = await vec('async function fetchJson(url) { const res = await fetch(url); return res.json(); }');
    const b = await vec('async function getJson(endpoint) { const response = await fetch(endpoint); return response.json(); }');
    const c = await vec('for (let i = 0; i < matrix.length; i++) transpose(matrix[i]);');
    expect(cos(a, b)).toBeGreaterThan(cos(a, c) + 0.2);
  });

  it('ignores punctuation and layout', async () => {
    const a = await vec('parseJsonNumber(s, pos)');
    const b = await vec('parseJsonNumber  ( s ,\n\tpos ) ;;');
    expect(cos(a, b)).toBeGreaterThan(0.9999);
  });

  it('reports progress per group and stops when aborted', async () => {
    const texts = Array.from({ length: 300 }, (_, i) => `value${i}`);
    const seen: [number, number][] = [];
    const { vectors } = await provider.embed(texts, { onProgress: (p) => seen.push([p.start, p.end]) });
    expect(vectors).toHaveLength(300);
    expect(seen).toEqual([[0, 128], [128, 256], [256, 300]]);
    const c = new AbortController();
    c.abort();
    await expect(provider.embed(texts, { signal: c.signal })).rejects.toBeInstanceOf(InterruptedError);
  });
});

describe('estimateTokens', () => {
  it('stays within 35% of cl100k on code and prose', () => {
    const samples = [
      'export function parseJsonNumber(s: string, pos: number, maxDigits?: number): number | undefined {\n  let numStr = ""\n  if (s[pos] === "-") {\n    numStr += "-"\n    pos++\n  }',
      'The quick brown fox jumps over the lazy dog, and then the dog wakes up and chases the fox around the yard.',
      'def fetch_all(session, urls):\n    return [session.get(u).json() for u in urls]\n',
    ];
    for (const s of samples) {
      const real = countTokens(s);
      expect(Math.abs(estimateTokens(s) - real) / real).toBeLessThan(0.35);
    }
    expect(estimateTokens('')).toBe(0);
  });
});
