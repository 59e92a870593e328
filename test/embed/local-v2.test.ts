import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { encodeSafetensors, float32ToLeBytes, uint16ToLeBytes } from '../../src/cache/safetensors.js';
import { zstdCompress } from '../../src/cache/zstd.js';
import { createProvider } from '../../src/embed/factory.js';
import { createLocalProvider } from '../../src/embed/local.js';
import { createLocalV2Provider, LOCAL_V2_MODEL, LOCAL_V2_TABLE_SHAPE, shippedTokenTable } from '../../src/embed/local-v2.js';
import { SentencePieceTokenizer } from '../../src/embed/sentencepiece.js';
import { decodeTokenTable, TokenTableError, TOKEN_TABLE_FORMAT } from '../../src/embed/token-table.js';
import { UsageError } from '../../src/errors.js';

const provider = createLocalV2Provider();

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

describe('SentencePiece tokenizer', () => {
  const tokenizer = new SentencePieceTokenizer(shippedTokenTable().vocab);

  // The ids were produced by @energetic-ai/embeddings@0.2.0's own tokenizer
  // (scripts/distill-local-v2.mjs --fixture), the one the table was distilled against.
  const fixture = JSON.parse(readFileSync(new URL('./fixtures/sentencepiece-ids.json', import.meta.url), 'utf8')) as {
    cases: [string, number[]][];
  };

  it('gives the reference tokenizer\'s ids on 400 sample strings', () => {
    expect(fixture.cases.length).toBe(400);
    const wrong = fixture.cases.filter(([text, ids]) => JSON.stringify(tokenizer.encode(text)) !== JSON.stringify(ids));
    expect(wrong).toEqual([]);
  });

  it('runs in linear time: a 200,000-character text takes well under the quadratic reference\'s minutes', () => {
    const word = 'internationalization parseJsonNumber café 日本語 ';
    const text = word.repeat(Math.ceil(200_000 / word.length));
    const t0 = performance.now();
    const ids = tokenizer.encode(text);
    expect(performance.now() - t0).toBeLessThan(10_000);
    expect(ids.length).toBeGreaterThan(text.length / 10);
    // The same words give the same tokens wherever they are.
    expect(ids.slice(0, 8)).toEqual(tokenizer.encode(word.repeat(2)).slice(0, 8));
  });
});

describe('token table file', () => {
  const shape = { tokens: 3, dims: 2 };
  const vocab = JSON.stringify([['<unk>', 0], ['▁a', -1], ['b', null]]);
  function table(change: { format?: string; rows?: Uint16Array; rowShape?: number[]; weights?: Float32Array; vocab?: string } = {}): Uint8Array {
    const rows = change.rows ?? new Uint16Array([0, 0, 0x3c00, 0, 0, 0x3c00]);
    const weights = change.weights ?? new Float32Array([0, 0.5, 0.25]);
    const raw = encodeSafetensors(
      {
        embeddings: { dtype: 'F16', shape: change.rowShape ?? [3, 2], data: uint16ToLeBytes(rows) },
        weights: { dtype: 'F32', shape: [3], data: float32ToLeBytes(weights) },
      },
      { format: change.format ?? TOKEN_TABLE_FORMAT, tokens: '3', dims: '2', vocab: change.vocab ?? vocab },
    );
    return zstdCompress(raw);
  }

  it('decodes a sound table', () => {
    const t = decodeTokenTable(table(), shape);
    expect([...t.rows]).toEqual([0, 0, 1, 0, 0, 1]);
    expect([...t.weights]).toEqual([0, 0.5, 0.25]);
    expect(t.vocab[2]).toEqual(['b', null]);
  });

  it.each([
    ['another format', { format: 'gitctx-embeddings/1' }, /format/],
    ['a wrong shape', { rowShape: [2, 3] }, /embeddings is F16 \[2, 3\]/],
    ['an infinite row value', { rows: new Uint16Array([0, 0, 0x7c00, 0, 0, 0]) }, /row 1/],
    ['a weight above 1', { weights: new Float32Array([0, 2, 0]) }, /token 1 has weight 2/],
    ['a short vocabulary', { vocab: JSON.stringify([['a', 0]]) }, /vocab/],
  ])('refuses %s with a clear message', (_label, change, message) => {
    expect(() => decodeTokenTable(table(change), shape)).toThrow(TokenTableError);
    expect(() => decodeTokenTable(table(change), shape)).toThrow(message);
  });

  it('refuses bytes that are not a zstd frame', () => {
    expect(() => decodeTokenTable(new Uint8Array([1, 2, 3, 4]), shape)).toThrow(TokenTableError);
  });

  it('decodes a row on its own to the values a whole decode gives', () => {
    const t = decodeTokenTable(table({ rows: new Uint16Array([0x3555, 0xc000, 0x0001, 0x7bff, 0x8000, 0x3c00]) }), shape);
    const one = t.row(1);
    expect([...one]).toEqual([5.960464477539063e-8, 65504]);
    expect(t.row(1)).toBe(one);
    expect(one.buffer.byteLength).toBe(2 * 4); // its own values, not a whole table's buffer
    const whole = decodeTokenTable(table({ rows: new Uint16Array([0x3555, 0xc000, 0x0001, 0x7bff, 0x8000, 0x3c00]) }), shape).rows;
    expect([...t.rows]).toEqual([...whole]);
    expect([...t.row(0), ...one, ...t.row(2)]).toEqual([...whole]);
    expect(Object.is(whole[4], -0)).toBe(true);
    expect(Object.is(t.row(2)[0], -0)).toBe(true);
  });

  it('ships 8,000 rows of 512 values, weights in [0, 1]', () => {
    const t = shippedTokenTable();
    expect(t.tokens).toBe(LOCAL_V2_TABLE_SHAPE.tokens);
    expect(t.rows.length).toBe(8000 * 512);
    expect(t.weights[0]).toBe(0);
  });
});

describe('local-v2', () => {
  it('is named and sized as the cache expects, and free', () => {
    expect(provider.model).toBe(LOCAL_V2_MODEL);
    expect(provider.model).toBe('local-v2');
    expect(provider.dims).toBe(1024);
    expect(provider.usdPerMillionTokens).toBe(0);
    expect(provider.inProcess).toBe(true);
  });

  // Golden vectors: committed cache files hold these exact bits. A change here
  // is a new model and needs a new name, not a new golden.
  it.each([
    ['export function parseJsonNumber(s: string, pos: number): number | undefined {', '6e84d0a19a6adad8b7dec2c3b9b2d681a00ac9bafae91d379afb2c1bdadc99f5'],
    ['', '21571ff8a990cb8a116260f12dd177dff0610c3bc1db0f4809a73b0121744d7e'],
    ['Ünïcödé 变量名 𝒳', 'ab55f9d243d405b374828082a0166e26a503f5559d7856f659dc4f8f990ff770'],
    ['how does it follow redirects in node', '4f5e5e9f825dd232dd5b4382a15c9e1273eaae3f2f4fd5e10fda0a6569d54dc3'],
  ])('gives the pinned vector for %j', async (text, digest) => {
    expect(sha(await vec(text))).toBe(digest);
  });

  it('is deterministic across calls and provider instances', async () => {
    const text = 'const cache = new Map<string, Buffer>(); // LRU of blobs';
    const a = await vec(text);
    const b = (await createLocalV2Provider().embed([text])).vectors[0] as Float32Array;
    expect(sha(a)).toBe(sha(b));
  });

  it('returns unit-length float32 vectors, one per text, in order', async () => {
    const texts = ['alpha', '', '!!!', 'the of and', 'x'.repeat(10_000), 'getUserById(id)'];
    const { vectors, costUsd } = await provider.embed(texts);
    expect(vectors).toHaveLength(texts.length);
    expect(costUsd).toBe(0);
    for (const v of vectors) {
      expect(v.length).toBe(1024);
      expect(Math.abs(Math.sqrt(cos(v, v)) - 1)).toBeLessThan(1e-5);
      expect(v.every(Number.isFinite)).toBe(true);
    }
    expect(sha(vectors[5] as Float32Array)).toBe(sha(await vec('getUserById(id)')));
  });

  it.each([
    ['function sleep(ms) { return new Promise((resolve) => setTimeout(resolve, ms)); }', 'wait a while before continuing', 'parse a date string'],
    ['const cars = vehicles.filter((v) => v.wheels === 4)', 'automobiles with four tyres', 'send an email to the user'],
  ])('relates %j to a question in other words, where local-v1 sees no link', async (code, related, unrelated) => {
    const [c2, r2, u2] = (await provider.embed([code, related, unrelated])).vectors as [Float32Array, Float32Array, Float32Array];
    const [c1, r1, u1] = (await createLocalProvider().embed([code, related, unrelated])).vectors as [Float32Array, Float32Array, Float32Array];
    expect(Math.abs(cos(c1, r1) - cos(c1, u1))).toBeLessThan(0.05);
    expect(cos(c2, r2)).toBeGreaterThan(cos(c2, u2) + 0.08);
  });

  it('is chosen by model.embedding: local-v2 (and local, the default) and refuses other sizes', async () => {
    const p = await createProvider({ embedding: 'local-v2' });
    expect(p.model).toBe('local-v2');
    expect(p.dims).toBe(1024);
    await expect(createProvider({ embedding: 'local-v2', dimensions: 512 })).rejects.toBeInstanceOf(UsageError);
    expect((await createProvider({ embedding: 'local' })).model).toBe('local-v2');
  });
});
