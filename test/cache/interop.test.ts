/**
 * The files must be standard: the zstd CLI reads what we write, we read what it
 * writes, and a safetensors reader written here from the format description
 * alone (sharing no code with src/) accepts the decompressed bytes. Plus the
 * back-compat fixtures: files written by format v1, committed, read forever.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, mkdir, readFile, rm, writeFile, copyFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { EmbeddingCache } from '../../src/cache/embedding-cache.js';
import { decodeCacheFile, encodeCacheFile } from '../../src/cache/codec.js';
import type { CacheKey } from '../../src/cache/codec.js';
import type { CacheEncoding, Embedding } from '../../src/cache/types.js';
import { CACHE_ENCODINGS } from '../../src/cache/types.js';
import { makeEmbeddings, SHA1, SHA256 } from '../helpers/cache-data.js';

const hasZstd = spawnSync('zstd', ['--version']).status === 0;
if (!hasZstd) console.log('skipped: zstd CLI not found (the CLI interop tests need `zstd` on PATH)');

const DIMS = 48;
const MODEL = 'text-embedding-3-small';
const CHUNKER = 'interop/1';

let root: string;
beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'gitctx-interop-'));
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

/** An independent safetensors reader, from the format description: u64 LE length, JSON, data. */
function goldenRead(bytes: Buffer): { metadata: Record<string, string>; dtype: string; shape: number[]; data: Buffer } {
  let n = 0;
  for (let i = 7; i >= 0; i--) n = n * 256 + bytes[i]!;
  if (n > bytes.length - 8) throw new Error('header runs past the end');
  if ((8 + n) % 8 !== 0) throw new Error('data not 8-byte aligned');
  const headerText = bytes.subarray(8, 8 + n).toString('utf8');
  if (!/^\{.*\} *$/s.test(headerText)) throw new Error('header is not a JSON object padded with spaces');
  const header = JSON.parse(headerText) as Record<string, unknown>;
  const names = Object.keys(header).filter((k) => k !== '__metadata__');
  if (names.length !== 1 || names[0] !== 'embeddings') throw new Error(`unexpected tensors ${names.join(',')}`);
  const t = header['embeddings'] as { dtype: string; shape: number[]; data_offsets: [number, number] };
  const data = bytes.subarray(8 + n);
  const [begin, end] = t.data_offsets;
  if (begin !== 0 || end !== data.length) throw new Error('tensor does not cover the data buffer exactly');
  const width = { F32: 4, F16: 2, U8: 1 }[t.dtype];
  if (width === undefined || t.shape.reduce((a, b) => a * b, 1) * width !== end - begin) throw new Error('shape disagrees with bytes');
  const metadata = header['__metadata__'] as Record<string, string>;
  for (const v of Object.values(metadata)) if (typeof v !== 'string') throw new Error('metadata value not a string');
  return { metadata, dtype: t.dtype, shape: t.shape, data };
}

function zstd(args: string[], input?: Buffer): Buffer {
  const result = spawnSync('zstd', args, { input, maxBuffer: 64 * 1024 * 1024 });
  if (result.status !== 0) throw new Error(`zstd ${args.join(' ')} failed: ${result.stderr.toString()}`);
  return result.stdout;
}

describe.each(CACHE_ENCODINGS)('zstd CLI interop, %s', (encoding) => {
  it.skipIf(!hasZstd)('zstd -t accepts our file; zstd -d gives safetensors the golden reader accepts', async () => {
    const cache = new EmbeddingCache({ dir: join(root, encoding), model: MODEL, dims: DIMS, chunker: CHUNKER, encoding });
    const input = makeEmbeddings(4, DIMS, 21);
    await cache.set(SHA1, input, { tokens: 77, costUsd: 0.5 });
    const path = cache.pathFor(SHA1);
    zstd(['-q', '-t', path]);
    const listing = zstd(['-lv', path]).toString();
    expect(listing).toMatch(/Check:\s+XXH64/);
    const declared = /Decompressed Size:.*\((\d+) B\)/.exec(listing)?.[1];

    const decompressed = zstd(['-q', '-d', '-c', path]);
    expect(Number(declared)).toBe(decompressed.length);
    const file = goldenRead(decompressed);
    expect(file.metadata).toMatchObject({ format: 'gitctx-embeddings/1', blob_sha: SHA1, model: MODEL, dims: String(DIMS), chunks: '4', encoding });
    const flat = new Float32Array(input.flatMap((e) => [...e.vector]));
    if (encoding === 'f32') {
      expect([file.dtype, file.shape]).toEqual(['F32', [4, DIMS]]);
      const values = Array.from({ length: 4 * DIMS }, (_, i) => file.data.readFloatLE(i * 4));
      expect(values).toEqual([...flat]);
    } else if (encoding === 'f32-shuffle') {
      expect([file.dtype, file.shape]).toEqual(['U8', [4, 4 * DIMS]]);
      const plane = 4 * DIMS;
      const values = Array.from({ length: plane }, (_, i) =>
        Buffer.from([file.data[i]!, file.data[plane + i]!, file.data[2 * plane + i]!, file.data[3 * plane + i]!]).readFloatLE(0),
      );
      expect(values).toEqual([...flat]);
    } else {
      expect([file.dtype, file.shape]).toEqual(['F16', [4, DIMS]]);
      for (let i = 0; i < 4 * DIMS; i++) expect(Math.abs(halfToNumber(file.data.readUInt16LE(i * 2)) - flat[i]!)).toBeLessThan(1e-3);
    }
  });
});

/** binary16 → number, independently of src/cache/encoding.ts. */
function halfToNumber(h: number): number {
  const e = (h >> 10) & 31;
  const m = h & 1023;
  const s = h >> 15 ? -1 : 1;
  if (e === 0) return s * m * 2 ** -24;
  if (e === 31) return m ? NaN : s * Infinity;
  return s * 2 ** (e - 15) * (1 + m / 1024);
}

describe('files written by other tools', () => {
  /** A cache file built byte by byte: hand-written header, two chunks of 4 dims. */
  function handWritten(): Buffer {
    const spans = '[[1,3,5,"aa"],[4,9,6,"bb"]]';
    const header =
      `{"__metadata__":{"blob_sha":"${SHA256}","chunker":"hand/1","chunks":"2","cost_usd":"0.25","dims":"4",` +
      `"encoding":"f32","format":"gitctx-embeddings/1","model":"hand-model","spans":${JSON.stringify(spans)},"tokens":"11"},` +
      `"embeddings":{"data_offsets":[0,32],"dtype":"F32","shape":[2,4]}}`;
    const padded = header.padEnd(Math.ceil((8 + header.length) / 8) * 8 - 8, ' ');
    const length = Buffer.alloc(8);
    length.writeBigUInt64LE(BigInt(padded.length));
    const data = Buffer.alloc(32);
    [0.5, -0.25, 1, 0, 2, 4, -8, 0.125].forEach((v, i) => data.writeFloatLE(v, i * 4));
    return Buffer.concat([length, Buffer.from(padded, 'utf8'), data]);
  }

  it.skipIf(!hasZstd)('a file compressed by the zstd CLI reads as a hit', async () => {
    const cache = new EmbeddingCache({ dir: join(root, 'cli'), model: 'hand-model', dims: 4, chunker: 'hand/1' });
    const path = cache.pathFor(SHA256);
    await mkdir(dirname(path), { recursive: true });
    const raw = join(root, 'hand.safetensors');
    await writeFile(raw, handWritten());
    zstd(['-q', '-3', '--check', '-f', raw, '-o', path]);
    const warnings: string[] = [];
    const entry = await new EmbeddingCache({ dir: join(root, 'cli'), model: 'hand-model', dims: 4, chunker: 'hand/1', warn: (m) => warnings.push(m) }).getEntry(SHA256);
    expect(warnings).toEqual([]);
    expect(entry?.embeddings.map((e) => [...e.vector])).toEqual([
      [0.5, -0.25, 1, 0],
      [2, 4, -8, 0.125],
    ]);
    expect(entry?.embeddings.map((e) => [e.startLine, e.endLine, e.tokens, e.chunkHash])).toEqual([
      [1, 3, 5, 'aa'],
      [4, 9, 6, 'bb'],
    ]);
    expect(entry).toMatchObject({ tokens: 11, costUsd: 0.25, encoding: 'f32' });
  });
});

/**
 * Back-compat fixtures (zoekt-style): one file per encoding, written by format
 * v1 and committed. Every later version must still read them to these values.
 * Regenerate only on purpose: GITCTX_UPDATE_FIXTURES=1 npx vitest run test/cache/interop.test.ts
 */
describe('v1 fixtures', () => {
  const fixtures = join(dirname(fileURLToPath(import.meta.url)), 'fixtures');
  const key: CacheKey = { blobSha: '3b18e512dba79e4c8300dd08aeb37f8e728b8dad', model: 'fixture-model', dims: 8, chunker: 'fixture-chunker/1' };
  // Exactly representable in binary16, so even f16 must reproduce them bit for bit.
  const vectors = [
    [0.5, -0.25, 0.125, 1, -1, 0, 0.75, -0.0625],
    [2, -3, 0.375, 1.5, -0.5, 0.0078125, 8, -16],
  ];
  const embeddings = (): Embedding[] =>
    vectors.map((v, i) => ({ vector: Float32Array.from(v), startLine: 1 + 10 * i, endLine: 10 + 10 * i, tokens: 40 + i, chunkHash: `c${i}` }));

  it.each(CACHE_ENCODINGS)('v1-%s decodes to the recorded values', async (encoding: CacheEncoding) => {
    const path = join(fixtures, `v1-${encoding}.safetensors.zst`);
    if (process.env['GITCTX_UPDATE_FIXTURES'] === '1' || !existsSync(path)) {
      if (process.env['CI']) throw new Error(`fixture ${path} is missing`);
      await mkdir(fixtures, { recursive: true });
      await writeFile(path, encodeCacheFile(key, embeddings(), { encoding, tokens: 81, costUsd: 0.0000162 }));
    }
    const bytes = await readFile(path);
    const result = decodeCacheFile(bytes, key);
    expect(result.status).toBe('hit');
    if (result.status !== 'hit') return;
    expect(result.entry.embeddings.map((e) => [...e.vector])).toEqual(vectors);
    expect(result.entry.embeddings.map((e) => [e.startLine, e.endLine, e.tokens, e.chunkHash])).toEqual([
      [1, 10, 40, 'c0'],
      [11, 20, 41, 'c1'],
    ]);
    expect(result.entry).toMatchObject({ encoding, tokens: 81, costUsd: 0.0000162 });

    // Through the cache too, from its place in a real layout.
    const dir = join(root, 'fixtures', encoding);
    const cache = new EmbeddingCache({ dir, model: key.model, dims: key.dims, chunker: key.chunker });
    await mkdir(dirname(cache.pathFor(key.blobSha)), { recursive: true });
    await copyFile(path, cache.pathFor(key.blobSha));
    expect((await cache.get(key.blobSha))?.map((e) => [...e.vector])).toEqual(vectors);
  });

  it.each(CACHE_ENCODINGS)('the writer still produces v1-%s byte for byte (else teammates get git conflicts)', async (encoding) => {
    const bytes = await readFile(join(fixtures, `v1-${encoding}.safetensors.zst`));
    const now = encodeCacheFile(key, embeddings(), { encoding, tokens: 81, costUsd: 0.0000162 });
    expect(Buffer.from(now).equals(bytes), 'output changed: a libzstd upgrade or a format change; see test/cache/fixtures').toBe(true);
  });
});
