import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { mkdtemp, readdir, readFile, rm, symlink, writeFile, mkdir, chmod } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { DiskFullError, PermissionDeniedError } from '../../src/errors.js';
import type { EmbeddingCacheOptions } from '../../src/cache/embedding-cache.js';
import { EmbeddingCache } from '../../src/cache/embedding-cache.js';
import { decodeCacheFile, encodeCacheFile, maxChunksPerFile } from '../../src/cache/codec.js';
import { CacheFormatError, InvalidBlobShaError, InvalidEmbeddingsError } from '../../src/cache/errors.js';
import type { Tensor } from '../../src/cache/safetensors.js';
import { decodeSafetensors, encodeSafetensors } from '../../src/cache/safetensors.js';
import { zstdCompress, zstdDecompress } from '../../src/cache/zstd.js';
import type { CacheEncoding, Embedding } from '../../src/cache/types.js';
import { CACHE_ENCODINGS } from '../../src/cache/types.js';
import { cosine, makeEmbeddings, SHA1, SHA1_B, SHA256 } from '../helpers/cache-data.js';
import { frameOf, lyingFrame, zeroBomb } from '../helpers/cache-zstd.js';

const DIMS = 64;
const MODEL = 'text-embedding-3-large';
const CHUNKER = 'lines/1 max=40';

let root: string;
let warnings: string[];

beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), 'gitctx-cache-'));
  warnings = [];
});
afterEach(async () => {
  await rm(root, { recursive: true, force: true });
});

function cache(options: Partial<EmbeddingCacheOptions> = {}): EmbeddingCache {
  return new EmbeddingCache({ dir: root, model: MODEL, dims: DIMS, chunker: CHUNKER, warn: (m) => warnings.push(m), ...options });
}

async function listTree(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true }).catch((err: NodeJS.ErrnoException) => {
    if (err.code === 'ENOENT') return [];
    throw err;
  });
  return entries.filter((e) => e.isFile()).map((e) => join(e.parentPath, e.name).slice(dir.length + 1)).sort();
}

function bitsOf(e: Embedding[]): number[][] {
  return e.map((x) => [...new Uint32Array(x.vector.buffer, x.vector.byteOffset, x.vector.length)]);
}

function spansOf(e: Embedding[]): unknown[] {
  return e.map(({ startLine, endLine, tokens, chunkHash }) => ({ startLine, endLine, tokens, chunkHash }));
}

describe('round trip', () => {
  it.each(CACHE_ENCODINGS)('%s', async (encoding) => {
    const c = cache({ encoding });
    const input = makeEmbeddings(5, DIMS, 3);
    await c.set(SHA1, input, { tokens: 999, costUsd: 0.000123 });
    const entry = await c.getEntry(SHA1);
    expect(entry).toBeDefined();
    const out = entry!.embeddings;
    expect(spansOf(out)).toEqual(spansOf(input));
    if (encoding === 'f16') out.forEach((e, i) => expect(cosine(e.vector, input[i]!.vector)).toBeGreaterThan(0.9999));
    else expect(bitsOf(out)).toEqual(bitsOf(input));
    expect(entry).toMatchObject({ encoding, tokens: 999, costUsd: 0.000123 });
    expect(warnings).toEqual([]);
  });

  it('stores the metadata the spec asks for, and nothing else', async () => {
    const c = cache({ encoding: 'f32-shuffle' });
    const input = makeEmbeddings(2, DIMS, 4);
    delete input[1]!.chunkHash;
    await c.set(SHA256, input, { costUsd: 0.1 + 0.2 });
    const file = decodeSafetensors(zstdDecompress(await readFile(c.pathFor(SHA256))));
    expect({ ...file.metadata }).toEqual({
      format: 'gitctx-embeddings/1',
      blob_sha: SHA256,
      model: MODEL,
      dims: String(DIMS),
      chunks: '2',
      chunker: CHUNKER,
      encoding: 'f32-shuffle',
      spans: JSON.stringify([
        [1, 20, 100, input[0]!.chunkHash],
        [21, 40, 101, ''],
      ]),
      tokens: '201',
      cost_usd: '0.3',
    });
    expect([...file.tensors.keys()]).toEqual(['embeddings']);
    expect(file.tensors.get('embeddings')).toMatchObject({ dtype: 'U8', shape: [4, 2 * DIMS] });
    const out = await c.get(SHA256);
    expect(out?.[1]?.chunkHash).toBeUndefined();
    expect(out?.[0]?.chunkHash).toBe(input[0]!.chunkHash);
  });

  it('caches a blob with no chunks', async () => {
    const c = cache();
    await c.set(SHA1, []);
    expect(await c.get(SHA1)).toEqual([]);
  });

  it('reads files of any encoding, whatever it writes', async () => {
    await cache({ encoding: 'f16' }).set(SHA1, makeEmbeddings(1, DIMS));
    expect((await cache({ encoding: 'f32' }).getEntry(SHA1))?.encoding).toBe('f16');
  });

  it('lays files out by model directory and sha fan-out', async () => {
    const c = cache({ model: 'BAAI/bge-m3' });
    await c.set(SHA1, makeEmbeddings(1, DIMS));
    expect(c.pathFor(SHA1)).toBe(join(root, '%42%41%41%49%2Fbge-m3', 'a9', `${SHA1}.safetensors.zst`));
    expect(await listTree(root)).toEqual([join('%42%41%41%49%2Fbge-m3', 'a9', `${SHA1}.safetensors.zst`)]);
    expect(await c.has(SHA1)).toBe(true);
    expect(await c.has(SHA1_B)).toBe(false);
  });

  it('writes identical bytes for identical input, in any directory and instance', async () => {
    const input = makeEmbeddings(3, DIMS, 8);
    const a = cache();
    await a.set(SHA1, input, { tokens: 5, costUsd: 1 / 3 });
    const first = await readFile(a.pathFor(SHA1));
    const other = await mkdtemp(join(tmpdir(), 'gitctx-cache-'));
    try {
      const b = new EmbeddingCache({ dir: other, model: MODEL, dims: DIMS, chunker: CHUNKER });
      await b.set(SHA1, input.map((e) => ({ ...e, vector: Float32Array.from(e.vector) })), { tokens: 5, costUsd: 1 / 3 });
      await a.set(SHA1, input, { tokens: 5, costUsd: 1 / 3 });
      expect((await readFile(b.pathFor(SHA1))).equals(first)).toBe(true);
      expect((await readFile(a.pathFor(SHA1))).equals(first)).toBe(true);
    } finally {
      await rm(other, { recursive: true, force: true });
    }
  });
});

describe('f32 files are streamed to zstd, not copied', () => {
  it.each([[0], [1], [3], [400]])('%i vectors give the same bytes as compressing the joined safetensors file', (count) => {
    const dims = 384;
    const embeddings = makeEmbeddings(count, dims, 7);
    const key = { blobSha: SHA1, model: 'm', dims, chunker: 'c' };
    const streamed = encodeCacheFile(key, embeddings);
    const { metadata, tensors } = decodeSafetensors(zstdDecompress(streamed, 1 << 30));
    const tensor = tensors.get('embeddings') as Tensor;
    const raw = encodeSafetensors({ embeddings: tensor }, metadata);
    expect(Buffer.from(streamed).equals(Buffer.from(zstdCompress(raw, 3, [raw.byteLength - tensor.data.byteLength])))).toBe(true);
  });
});

describe('how many chunks one cache file holds', () => {
  it('maxChunksPerFile chunks with the widest spans encode within the limit, and decode', () => {
    const maxBytes = 1024 * 1024;
    const dims = 256;
    const count = maxChunksPerFile(dims, maxBytes);
    expect(count).toBeGreaterThan(850);
    const embeddings = makeEmbeddings(count, dims).map((e, i) => ({
      ...e,
      startLine: 2_000_000_000 + i,
      endLine: 2_147_483_647,
      tokens: 2_147_483_647,
      chunkHash: 'f'.repeat(32),
    }));
    const key = { blobSha: SHA1, model: 'm', dims, chunker: 'c' };
    const bytes = encodeCacheFile(key, embeddings, { maxBytes });
    const read = decodeCacheFile(bytes, key, { maxBytes });
    expect(read.status === 'hit' && read.entry.embeddings.length).toBe(count);
  });

  it('shrinks with the dimensions: 3072 dims hold about 21,700 vectors in 256 MiB', () => {
    expect(maxChunksPerFile(3072)).toBeGreaterThan(21_600);
    expect(maxChunksPerFile(3072) * 3072 * 4).toBeLessThan(256 * 1024 * 1024);
    expect(maxChunksPerFile(65_536)).toBeLessThan(1024);
  });
});

describe('misses without a warning', () => {
  it('absent file', async () => {
    expect(await cache().get(SHA1)).toBeUndefined();
    expect(warnings).toEqual([]);
  });

  it('file made by another chunker', async () => {
    await cache({ chunker: 'lines/0' }).set(SHA1, makeEmbeddings(2, DIMS));
    expect(await cache().get(SHA1)).toBeUndefined();
    expect(warnings).toEqual([]);
  });

  it('other model: a different directory, so simply absent', async () => {
    await cache({ model: 'local-v1' }).set(SHA1, makeEmbeddings(2, DIMS));
    expect(await cache().get(SHA1)).toBeUndefined();
    expect(warnings).toEqual([]);
  });
});

const validKey = { blobSha: SHA1, model: MODEL, dims: DIMS, chunker: CHUNKER };

function metadataFor(chunks: number, overrides: Record<string, string | undefined> = {}): Record<string, string> {
  const base: Record<string, string | undefined> = {
    format: 'gitctx-embeddings/1',
    blob_sha: SHA1,
    model: MODEL,
    dims: String(DIMS),
    chunks: String(chunks),
    chunker: CHUNKER,
    encoding: 'f32',
    spans: JSON.stringify(Array.from({ length: chunks }, (_, i) => [i + 1, i + 1, 1, ''])),
    tokens: String(chunks),
    cost_usd: '0',
    ...overrides,
  };
  return Object.fromEntries(Object.entries(base).filter((e): e is [string, string] => e[1] !== undefined));
}

function f32Tensor(values: number[], shape = [values.length / DIMS, DIMS]): Tensor {
  return { dtype: 'F32', shape, data: new Uint8Array(Float32Array.from(values).buffer) };
}

const ones = (chunks: number) => Array.from({ length: chunks * DIMS }, () => 0.125);

/** Safetensors bytes with a hand-written header: for files our encoder refuses to produce. */
function rawWithHeader(header: string, data: Uint8Array, length?: bigint): Uint8Array {
  const json = new TextEncoder().encode(header);
  const out = new Uint8Array(8 + json.length + data.length);
  new DataView(out.buffer).setBigUint64(0, length ?? BigInt(json.length), true);
  out.set(json, 8);
  out.set(data, 8 + json.length);
  return out;
}

const metaJson = JSON.stringify(metadataFor(1));
const valid = () => encodeCacheFile(validKey, makeEmbeddings(3, DIMS, 5));

describe('hostile or corrupt files: a miss with exactly one warning', () => {
  const cases: Array<[string, () => Uint8Array]> = [
    ['empty file', () => new Uint8Array(0)],
    ['not zstd (plain safetensors)', () => encodeSafetensors({ embeddings: f32Tensor(ones(1)) }, metadataFor(1))],
    ['frame without content size', () => frameOf(encodeSafetensors({ embeddings: f32Tensor(ones(1)) }, metadataFor(1)), { contentSize: false })],
    ['frame without checksum', () => frameOf(encodeSafetensors({ embeddings: f32Tensor(ones(1)) }, metadataFor(1)), { checksum: false })],
    ['frame claiming 2^40 bytes', () => lyingFrame(2n ** 40n)],
    ['two frames', () => Buffer.concat([valid(), valid()])],
    ['header length 2^63', () => zstdCompress(rawWithHeader('{}', new Uint8Array(8), 2n ** 63n))],
    ['header JSON is an array', () => zstdCompress(rawWithHeader('[1,2,3]', new Uint8Array(0)))],
    ['header JSON is a string', () => zstdCompress(rawWithHeader('"embeddings"', new Uint8Array(0)))],
    ['header JSON is a number', () => zstdCompress(rawWithHeader('42', new Uint8Array(0)))],
    [
      'offsets out of range',
      () => zstdCompress(rawWithHeader(`{"__metadata__":${metaJson},"embeddings":{"dtype":"F32","shape":[1,${DIMS}],"data_offsets":[0,${DIMS * 8}]}}`, new Uint8Array(DIMS * 4))),
    ],
    [
      'overlapping tensors',
      () =>
        zstdCompress(
          rawWithHeader(
            `{"__metadata__":${metaJson},"embeddings":{"dtype":"F32","shape":[1,${DIMS}],"data_offsets":[0,${DIMS * 4}]},"x":{"dtype":"U8","shape":[8],"data_offsets":[${DIMS * 4 - 8},${DIMS * 4}]}}`,
            new Uint8Array(DIMS * 4),
          ),
        ),
    ],
    [
      'gap before the tensor',
      () => zstdCompress(rawWithHeader(`{"__metadata__":${metaJson},"embeddings":{"dtype":"F32","shape":[1,${DIMS}],"data_offsets":[8,${DIMS * 4 + 8}]}}`, new Uint8Array(DIMS * 4 + 8))),
    ],
    [
      'unknown dtype',
      () => zstdCompress(rawWithHeader(`{"__metadata__":${metaJson},"embeddings":{"dtype":"F64","shape":[1,${DIMS}],"data_offsets":[0,${DIMS * 8}]}}`, new Uint8Array(DIMS * 8))),
    ],
    [
      'shape disagrees with the bytes',
      () => zstdCompress(rawWithHeader(`{"__metadata__":${metaJson},"embeddings":{"dtype":"F32","shape":[2,${DIMS}],"data_offsets":[0,${DIMS * 4}]}}`, new Uint8Array(DIMS * 4))),
    ],
    ['NaN value', () => zstdCompress(encodeSafetensors({ embeddings: f32Tensor([...ones(1).slice(1), NaN]) }, metadataFor(1)))],
    ['Infinity value', () => zstdCompress(encodeSafetensors({ embeddings: f32Tensor([-Infinity, ...ones(1).slice(1)]) }, metadataFor(1)))],
    [
      'f16 infinity',
      () =>
        zstdCompress(
          encodeSafetensors(
            { embeddings: { dtype: 'F16', shape: [1, DIMS], data: new Uint8Array(new Uint16Array(DIMS).fill(0x7c00).buffer) } },
            metadataFor(1, { encoding: 'f16' }),
          ),
        ),
    ],
    ['another blob sha', () => zstdCompress(encodeSafetensors({ embeddings: f32Tensor(ones(1)) }, metadataFor(1, { blob_sha: SHA1_B })))],
    ['another model', () => zstdCompress(encodeSafetensors({ embeddings: f32Tensor(ones(1)) }, metadataFor(1, { model: 'local-v1' })))],
    [
      'other dims',
      () => zstdCompress(encodeSafetensors({ embeddings: f32Tensor(ones(2), [1, DIMS * 2]) }, metadataFor(1, { dims: String(DIMS * 2) }))),
    ],
    ['metadata dims disagree with the tensor', () => zstdCompress(encodeSafetensors({ embeddings: f32Tensor(ones(2), [1, DIMS * 2]) }, metadataFor(1)))],
    ['chunks disagree with the tensor', () => zstdCompress(encodeSafetensors({ embeddings: f32Tensor(ones(2)) }, metadataFor(1)))],
    ['spans shorter than chunks', () => zstdCompress(encodeSafetensors({ embeddings: f32Tensor(ones(2)) }, metadataFor(2, { spans: '[[1,2,3,""]]' })))],
    ['spans not JSON', () => zstdCompress(encodeSafetensors({ embeddings: f32Tensor(ones(1)) }, metadataFor(1, { spans: '[[1,2,' })))],
    ['span end before start', () => zstdCompress(encodeSafetensors({ embeddings: f32Tensor(ones(1)) }, metadataFor(1, { spans: '[[5,2,3,""]]' })))],
    ['missing format', () => zstdCompress(encodeSafetensors({ embeddings: f32Tensor(ones(1)) }, metadataFor(1, { format: undefined })))],
    ['future format', () => zstdCompress(encodeSafetensors({ embeddings: f32Tensor(ones(1)) }, metadataFor(1, { format: 'gitctx-embeddings/2' })))],
    ['unknown encoding', () => zstdCompress(encodeSafetensors({ embeddings: f32Tensor(ones(1)) }, metadataFor(1, { encoding: 'bf16' })))],
    ['encoding disagrees with dtype', () => zstdCompress(encodeSafetensors({ embeddings: f32Tensor(ones(1)) }, metadataFor(1, { encoding: 'f16' })))],
    ['dims not a number', () => zstdCompress(encodeSafetensors({ embeddings: f32Tensor(ones(1)) }, metadataFor(1, { dims: '64.0' })))],
    ['cost not a number', () => zstdCompress(encodeSafetensors({ embeddings: f32Tensor(ones(1)) }, metadataFor(1, { cost_usd: 'free' })))],
    ['no tensor', () => zstdCompress(encodeSafetensors({}, metadataFor(0)))],
    [
      'an extra tensor',
      () => zstdCompress(encodeSafetensors({ embeddings: f32Tensor(ones(1)), extra: { dtype: 'U8', shape: [1], data: Uint8Array.of(1) } }, metadataFor(1))),
    ],
  ];

  it.each(cases)('%s', async (_name, make) => {
    const c = cache();
    const path = c.pathFor(SHA1);
    await mkdir(dirname(path), { recursive: true });
    await writeFile(path, make());
    expect(await c.get(SHA1)).toBeUndefined();
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toContain(path);
    expect(warnings[0]).not.toContain('\n');
  });

  it('truncations at many lengths', async () => {
    const c = cache();
    const bytes = valid();
    const path = c.pathFor(SHA1);
    await mkdir(dirname(path), { recursive: true });
    const cuts = [...Array.from({ length: 64 }, (_, i) => i), ...Array.from({ length: 40 }, (_, i) => Math.floor((bytes.length * (i + 1)) / 41)), bytes.length - 1];
    for (const cut of cuts) {
      warnings = [];
      await writeFile(path, bytes.subarray(0, cut));
      expect(await c.get(SHA1), `cut ${cut}`).toBeUndefined();
      expect(warnings, `cut ${cut}`).toHaveLength(1);
    }
  });

  it('bit flips (the checksum catches what the structure does not)', async () => {
    const c = cache();
    const bytes = valid();
    const path = c.pathFor(SHA1);
    await mkdir(dirname(path), { recursive: true });
    const original = await (async () => {
      await writeFile(path, bytes);
      return bitsOf((await c.get(SHA1))!);
    })();
    let misses = 0;
    for (let i = 0; i < 200; i++) {
      const bit = Math.floor(((i * 2654435761) % 2 ** 32) / 2 ** 32 * bytes.length * 8);
      const bad = bytes.slice();
      bad[bit >> 3]! ^= 1 << (bit & 7);
      warnings = [];
      await writeFile(path, bad);
      const out = await c.get(SHA1);
      if (out === undefined) {
        misses++;
        expect(warnings).toHaveLength(1);
      } else {
        expect(bitsOf(out)).toEqual(original);
        expect(warnings).toEqual([]);
      }
    }
    expect(misses).toBeGreaterThan(190);
  });

  it('a real 300 MiB decompression bomb, without allocating it', async () => {
    const c = cache();
    const path = c.pathFor(SHA1);
    await mkdir(dirname(path), { recursive: true });
    await writeFile(path, zeroBomb(300 * 1024 * 1024));
    const before = process.memoryUsage().arrayBuffers;
    const started = performance.now();
    expect(await c.get(SHA1)).toBeUndefined();
    expect(performance.now() - started).toBeLessThan(200);
    expect(process.memoryUsage().arrayBuffers - before).toBeLessThan(16 * 1024 * 1024);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(/over the 268435456-byte limit/);
  });

  it('a bomb under a configured smaller limit', async () => {
    const c = cache({ maxFileBytes: 1024 * 1024 });
    const path = c.pathFor(SHA1);
    await mkdir(dirname(path), { recursive: true });
    await writeFile(path, zeroBomb(8 * 1024 * 1024));
    expect(await c.get(SHA1)).toBeUndefined();
    expect(warnings).toHaveLength(1);
  });

  it('a symlink (never followed) and a directory in place of the file', async () => {
    const c = cache();
    await c.set(SHA1_B, makeEmbeddings(1, DIMS));
    const path = c.pathFor(SHA1);
    await mkdir(dirname(path), { recursive: true });
    await symlink(c.pathFor(SHA1_B), path);
    expect(await c.get(SHA1)).toBeUndefined();
    expect(warnings).toHaveLength(1);
    await rm(path);
    await mkdir(path);
    warnings = [];
    expect(await c.get(SHA1)).toBeUndefined();
    expect(warnings).toHaveLength(1);
  });

  it('any mutation of a valid file never throws: same values or a warned miss (property)', async () => {
    const c = cache();
    const bytes = encodeCacheFile(validKey, makeEmbeddings(2, DIMS, 6));
    const path = c.pathFor(SHA1);
    await mkdir(dirname(path), { recursive: true });
    await writeFile(path, bytes);
    const original = bitsOf((await c.get(SHA1))!);
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.tuple(fc.nat(bytes.length - 1), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 6 }),
        fc.option(fc.nat(bytes.length), { nil: undefined }),
        async (edits, cut) => {
          const bad = bytes.slice(0, cut ?? bytes.length);
          for (const [at, value] of edits) if (at < bad.length) bad[at] = value;
          const unchanged = Buffer.from(bad).equals(Buffer.from(bytes));
          warnings = [];
          await writeFile(path, bad);
          const out = await c.get(SHA1);
          if (out === undefined) {
            expect(unchanged).toBe(false);
            expect(warnings).toHaveLength(1);
          } else {
            expect(bitsOf(out)).toEqual(original);
            expect(warnings).toEqual([]);
          }
        },
      ),
      { numRuns: 150, seed: 11 },
    );
  });

  it('decoder throws only CacheFormatError on mutated content inside a valid frame (property)', () => {
    const key = { ...validKey, dims: 8 };
    const raw = zstdDecompress(encodeCacheFile(key, makeEmbeddings(2, 8, 6)));
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.nat(raw.length - 1), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 6 }), (edits) => {
        const bad = raw.slice();
        for (const [at, value] of edits) bad[at] = value;
        try {
          const result = decodeCacheFile(zstdCompress(bad), key);
          expect(['hit', 'stale']).toContain(result.status);
        } catch (err) {
          expect(err).toBeInstanceOf(CacheFormatError);
        }
      }),
      { numRuns: 1500, seed: 12 },
    );
  });
});

describe('blob sha validation before any path is built', () => {
  const bad = ['../../etc/passwd', SHA1.toUpperCase(), SHA1.slice(0, 39), `${SHA1}0`, SHA256.slice(0, 63), `${SHA1.slice(0, 39)}z`, ''];

  it.each(bad)('rejects %j and touches no file', async (sha) => {
    const c = cache();
    await expect(c.get(sha)).rejects.toThrow(InvalidBlobShaError);
    await expect(c.set(sha, makeEmbeddings(1, DIMS))).rejects.toThrow(InvalidBlobShaError);
    await expect(c.has(sha)).rejects.toThrow(InvalidBlobShaError);
    expect(() => c.pathFor(sha)).toThrow(InvalidBlobShaError);
    expect(await listTree(root)).toEqual([]);
    expect(warnings).toEqual([]);
  });
});

describe('set() validates its input', () => {
  const good = () => makeEmbeddings(2, DIMS, 1);
  it.each<[string, () => Embedding[], { tokens?: number; costUsd?: number }?]>([
    ['wrong dims', () => makeEmbeddings(1, DIMS + 1)],
    ['NaN', () => good().map((e, i) => (i === 1 ? { ...e, vector: e.vector.map((v, d) => (d === 3 ? NaN : v)) } : e))],
    ['Infinity', () => good().map((e) => ({ ...e, vector: e.vector.map(() => Infinity) }))],
    ['not a Float32Array', () => good().map((e) => ({ ...e, vector: Array.from(e.vector) as unknown as Float32Array }))],
    ['line 0', () => good().map((e) => ({ ...e, startLine: 0 }))],
    ['end before start', () => good().map((e) => ({ ...e, startLine: 5, endLine: 4 }))],
    ['fractional tokens', () => good().map((e) => ({ ...e, tokens: 1.5 }))],
    ['negative cost', () => good(), { costUsd: -1 }],
    ['NaN tokens', () => good(), { tokens: NaN }],
  ])('%s', async (_name, make, info) => {
    const c = cache();
    await expect(c.set(SHA1, make(), info)).rejects.toThrow(InvalidEmbeddingsError);
    expect(await listTree(root)).toEqual([]);
  });

  it('refuses values beyond half range when writing f16', async () => {
    const e = makeEmbeddings(1, DIMS);
    e[0]!.vector[0] = 70000;
    await expect(cache({ encoding: 'f16' }).set(SHA1, e)).rejects.toThrow(/f16 range/);
  });

  it('refuses bad options at construction', () => {
    expect(() => cache({ dims: 0 })).toThrow();
    expect(() => cache({ model: '' })).toThrow();
    expect(() => cache({ encoding: 'bf16' as CacheEncoding })).toThrow();
    expect(() => cache({ level: 100 })).toThrow();
  });
});

describe('disk errors', () => {
  function errno(code: string): NodeJS.ErrnoException {
    return Object.assign(new Error(`${code}: simulated`), { code });
  }

  async function existing(c: EmbeddingCache): Promise<Buffer> {
    await c.set(SHA1, makeEmbeddings(2, DIMS, 1));
    return readFile(c.pathFor(SHA1));
  }

  it('disk full mid-write: DiskFullError, old file intact, no temp file left', async () => {
    const plain = cache();
    const before = await existing(plain);
    const c = cache({
      fs: {
        async writeNewFile(path, data) {
          await writeFile(path, data.subarray(0, data.length >> 1), { flag: 'wx' });
          throw errno('ENOSPC');
        },
      },
    });
    await expect(c.set(SHA1, makeEmbeddings(2, DIMS, 2))).rejects.toThrow(DiskFullError);
    expect((await readFile(c.pathFor(SHA1))).equals(before)).toBe(true);
    expect(await listTree(root)).toEqual([plain.pathFor(SHA1).slice(root.length + 1)]);
    expect(await plain.get(SHA1)).toHaveLength(2);
  });

  it('permission denied on write or rename: PermissionDeniedError, old file intact, no temp file left', async () => {
    const plain = cache();
    const before = await existing(plain);
    const writeDenied = cache({ fs: { writeNewFile: () => Promise.reject(errno('EACCES')) } });
    await expect(writeDenied.set(SHA1, makeEmbeddings(2, DIMS, 2))).rejects.toThrow(PermissionDeniedError);
    const renameDenied = cache({ fs: { rename: () => Promise.reject(errno('EPERM')) } });
    await expect(renameDenied.set(SHA1, makeEmbeddings(2, DIMS, 2))).rejects.toThrow(PermissionDeniedError);
    expect((await readFile(plain.pathFor(SHA1))).equals(before)).toBe(true);
    expect(await listTree(root)).toHaveLength(1);
  });

  it('a file where the fan-out directory belongs: one warning naming it, the blob goes uncached, nothing written', async () => {
    const c = cache();
    await mkdir(join(root, c.modelDir), { recursive: true });
    await writeFile(join(root, c.modelDir, 'a9'), 'not a directory');
    await c.set(SHA1, makeEmbeddings(1, DIMS));
    expect(await listTree(root)).toEqual([join(c.modelDir, 'a9')]);
    expect(await c.get(SHA1)).toBeUndefined();
    expect(warnings).toEqual([expect.stringContaining(`${join(root, c.modelDir, 'a9')}: it is not a directory`)]);
  });

  it('a directory where a cache file belongs: one warning naming it, the blob goes uncached', async () => {
    const c = cache();
    await mkdir(join(c.pathFor(SHA1), 'inside'), { recursive: true });
    await c.set(SHA1, makeEmbeddings(1, DIMS));
    await c.set(SHA1, makeEmbeddings(1, DIMS));
    expect(await listTree(root)).toEqual([]);
    expect(warnings).toEqual([expect.stringContaining(`${c.pathFor(SHA1)} is not a regular file`)]);
  });

  it.skipIf(process.getuid?.() === 0)('a real read-only directory: PermissionDeniedError', async () => {
    const c = cache();
    const before = await existing(c);
    const dir = dirname(c.pathFor(SHA1));
    await chmod(dir, 0o555);
    try {
      await expect(c.set(SHA1, makeEmbeddings(2, DIMS, 2))).rejects.toThrow(PermissionDeniedError);
      expect((await readFile(c.pathFor(SHA1))).equals(before)).toBe(true);
    } finally {
      await chmod(dir, 0o755);
    }
  });
});
