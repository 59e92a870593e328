/**
 * Cache files arrive through `git pull`, so the reader must survive anything. 1,000
 * seeded mutations of valid cache files (bit flips, truncations, splices, appended
 * bytes, random bytes, header rewrites and content edits inside a valid zstd frame),
 * each written in place and read through EmbeddingCache.get: it never throws, and
 * gives either a miss with exactly one warning (none when the file is merely from
 * another chunker) or embeddings; when the frame itself was not rebuilt, only the
 * original embeddings, bit for bit. Then end to end: `gitctx index` over a cache with
 * broken files exits 0, warns once per file, re-embeds exactly those blobs and writes
 * them back byte-identical to what a clean run writes.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeCacheFile, EmbeddingCache } from '../../src/cache/index.js';
import type { CacheEncoding, Embedding } from '../../src/cache/index.js';
import { zstdCompress, zstdDecompress } from '../../src/cache/zstd.js';
import { makeEmbeddings, prng } from '../helpers/cache-data.js';
import { startFakeOpenAI } from '../helpers/fake-openai-server.js';
import type { FakeOpenAI } from '../helpers/fake-openai-server.js';
import { makeRepo } from '../helpers/git-repo.js';
import type { TestRepo } from '../helpers/git-repo.js';
import {
  apiEnv,
  commitSources,
  embeddingBits,
  filesContaining,
  gitctxDir,
  inspectCache,
  moduleSource,
  readMeta,
  RunRecorder,
  SECRET_KEY,
  snapshot,
} from './support.js';

const RUNS = 1000;
const SEED = 0xf022;
const DIMS = 48;
const MODEL = 'text-embedding-3-small@48';
const CHUNKER = 'gitctx-chunker/1 target=400 max=8191';

interface Source {
  sha: string;
  bytes: Uint8Array;
  embeddings: Embedding[];
}

type Mutation =
  | { kind: 'flip'; bits: number[] }
  | { kind: 'truncate'; at: number }
  | { kind: 'splice'; from: number; start: number; length: number; at: number; replace: boolean }
  | { kind: 'append'; bytes: Uint8Array }
  | { kind: 'random'; bytes: Uint8Array; magic: boolean }
  | { kind: 'metadata'; field: string; value: string | null }
  | { kind: 'tensor'; field: 'dtype' | 'shape' | 'data_offsets' | 'name'; value: unknown }
  | { kind: 'header-length'; value: bigint }
  | { kind: 'content'; edits: [number, number][]; headerOnly: boolean };

/** Mutations that rebuild the zstd frame: its checksum then vouches for the mutated content, not the original. */
const REFRAMED = new Set(['metadata', 'tensor', 'header-length', 'content']);

const METADATA_FIELDS = ['format', 'blob_sha', 'model', 'dims', 'chunks', 'chunker', 'encoding', 'spans', 'tokens', 'cost_usd', '__extra'];
const NASTY = [
  '', 'x', '0', '-1', '1.5', '48', '49', '1e309', 'NaN', 'Infinity', '00', ' 1', '9007199254740993', 'f32', 'f16', 'f32-shuffle', 'bf16',
  'gitctx-embeddings/1', 'gitctx-embeddings/2', MODEL, 'text-embedding-3-small', 'local-v1', CHUNKER, 'another-chunker',
  '0123456789abcdef0123456789abcdef01234567', '[]', '[[1,2,3,""]]', '[[2,1,3,""]]', '[[1,2,-3,"h"]]', '[[1,2,3,null]]', '{}', 'null',
  '"quoted"', '\u0000', '\u202e', 'é'.repeat(300), 'x'.repeat(70_000),
];

const metadataValue = fc.oneof(fc.constantFrom<string | null>(...NASTY, null), fc.string({ maxLength: 40 }));
const jsonish: fc.Arbitrary<unknown> = fc.oneof(
  fc.constantFrom('F32', 'F16', 'U8', 'F64', 'I32', 'BOOL', '', null, -1, 0, 2 ** 53, 1e300, [], {}, [0], [1, DIMS], [2, DIMS], [-1, DIMS], [0, 0], [1, 2 ** 40], [0, 1, 2]),
  fc.array(fc.integer({ min: -5, max: 100_000 }), { maxLength: 3 }),
  fc.string({ maxLength: 8 }),
);

function mutationArb(sources: readonly Source[]): fc.Arbitrary<[number, Mutation]> {
  const file = fc.nat(sources.length - 1);
  const mutation: fc.Arbitrary<Mutation> = fc.oneof(
    { weight: 3, arbitrary: fc.record({ kind: fc.constant('flip' as const), bits: fc.array(fc.nat(), { minLength: 1, maxLength: 8 }) }) },
    { weight: 2, arbitrary: fc.record({ kind: fc.constant('truncate' as const), at: fc.nat() }) },
    {
      weight: 2,
      arbitrary: fc.record({
        kind: fc.constant('splice' as const),
        from: fc.nat(sources.length - 1),
        start: fc.nat(),
        length: fc.integer({ min: 1, max: 400 }),
        at: fc.nat(),
        replace: fc.boolean(),
      }),
    },
    { weight: 1, arbitrary: fc.record({ kind: fc.constant('append' as const), bytes: fc.uint8Array({ minLength: 1, maxLength: 64 }) }) },
    { weight: 1, arbitrary: fc.record({ kind: fc.constant('random' as const), bytes: fc.uint8Array({ maxLength: 2048 }), magic: fc.boolean() }) },
    { weight: 3, arbitrary: fc.record({ kind: fc.constant('metadata' as const), field: fc.constantFrom(...METADATA_FIELDS), value: metadataValue }) },
    { weight: 2, arbitrary: fc.record({ kind: fc.constant('tensor' as const), field: fc.constantFrom('dtype' as const, 'shape' as const, 'data_offsets' as const, 'name' as const), value: jsonish }) },
    { weight: 1, arbitrary: fc.record({ kind: fc.constant('header-length' as const), value: fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }) }) },
    {
      weight: 2,
      arbitrary: fc.record({
        kind: fc.constant('content' as const),
        edits: fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 6 }),
        headerOnly: fc.boolean(),
      }),
    },
  );
  return fc.tuple(file, mutation);
}

/** The safetensors bytes inside a frame, split into header JSON and data. */
function unpack(frame: Uint8Array): { header: Record<string, unknown>; data: Uint8Array } {
  const raw = zstdDecompress(frame);
  const length = Number(Buffer.from(raw.buffer, raw.byteOffset, 8).readBigUInt64LE(0));
  return { header: JSON.parse(Buffer.from(raw.subarray(8, 8 + length)).toString('utf8')), data: raw.subarray(8 + length) };
}

function pack(header: unknown, data: Uint8Array, length?: bigint): Uint8Array {
  let json = JSON.stringify(header);
  json += ' '.repeat((8 - ((8 + Buffer.byteLength(json)) % 8)) % 8);
  const head = Buffer.alloc(8);
  head.writeBigUInt64LE(length ?? BigInt(Buffer.byteLength(json)));
  return zstdCompress(Buffer.concat([head, Buffer.from(json), data]));
}

function mutate(sources: readonly Source[], index: number, m: Mutation): Uint8Array {
  const original = (sources[index] as Source).bytes;
  const len = original.length;
  switch (m.kind) {
    case 'flip': {
      const out = original.slice();
      for (const bit of m.bits) out[(bit >> 3) % len]! ^= 1 << (bit & 7);
      return out;
    }
    case 'truncate':
      return original.slice(0, m.at % len);
    case 'splice': {
      const donor = (sources[m.from] as Source).bytes;
      const start = m.start % donor.length;
      const piece = donor.subarray(start, start + m.length);
      const at = m.at % (len + 1);
      return Buffer.concat([original.subarray(0, at), piece, original.subarray(m.replace ? at + piece.length : at)]);
    }
    case 'append':
      return Buffer.concat([original, m.bytes]);
    case 'random':
      return m.magic ? Buffer.concat([Uint8Array.of(0x28, 0xb5, 0x2f, 0xfd), m.bytes]) : m.bytes;
    case 'metadata': {
      const { header, data } = unpack(original);
      const metadata = { ...(header.__metadata__ as Record<string, string>) };
      if (m.value === null) delete metadata[m.field];
      else metadata[m.field] = m.value;
      return pack({ ...header, __metadata__: metadata }, data);
    }
    case 'tensor': {
      const { header, data } = unpack(original);
      const tensor = { ...(header.embeddings as Record<string, unknown>) };
      if (m.field === 'name') return pack({ __metadata__: header.__metadata__, [String(m.value)]: tensor }, data);
      tensor[m.field] = m.value;
      return pack({ ...header, embeddings: tensor }, data);
    }
    case 'header-length': {
      const { header, data } = unpack(original);
      return pack(header, data, m.value);
    }
    case 'content': {
      const raw = zstdDecompress(original).slice();
      const headerEnd = 8 + Number(Buffer.from(raw.buffer, raw.byteOffset, 8).readBigUInt64LE(0));
      for (const [at, value] of m.edits) raw[m.headerOnly ? at % headerEnd : at % raw.length] = value;
      return zstdCompress(raw);
    }
  }
}

function wellFormed(embeddings: readonly Embedding[]): boolean {
  return embeddings.every(
    (e) => e.vector.length === DIMS && e.vector.every(Number.isFinite) && Number.isInteger(e.startLine) && e.endLine >= e.startLine && e.tokens >= 0,
  );
}

describe(`${RUNS} fuzzed cache files (seed 0x${SEED.toString(16)})`, () => {
  let root: string;
  beforeAll(() => {
    root = mkdtempSync(join(tmpdir(), 'gitctx-fuzz-'));
  });
  afterAll(() => {
    rmSync(root, { recursive: true, force: true });
  });

  it('never throw: the original embeddings, or a miss with exactly one warning', async () => {
    const random = prng(SEED);
    const randomSha = () => Array.from({ length: 40 }, () => '0123456789abcdef'[Math.floor(random() * 16)]).join('');
    const sources: Source[] = [];
    const encodings: CacheEncoding[] = ['f32', 'f32-shuffle', 'f16'];
    for (let i = 0; i < 6; i++) {
      const encoding = encodings[i % 3] as CacheEncoding;
      const cache = new EmbeddingCache({ dir: root, model: MODEL, dims: DIMS, chunker: CHUNKER, encoding, warn: () => undefined });
      const sha = randomSha();
      await cache.set(sha, makeEmbeddings(1 + (i % 4) * 2, DIMS, i + 1));
      const embeddings = (await cache.get(sha)) as Embedding[];
      // A copy, not a Buffer: Buffer#slice is a view, and mutations must never reach the source.
      sources.push({ sha, bytes: new Uint8Array(readFileSync(cache.pathFor(sha))), embeddings });
    }

    const warnings: string[] = [];
    const reader = new EmbeddingCache({ dir: root, model: MODEL, dims: DIMS, chunker: CHUNKER, warn: (m) => warnings.push(m) });
    const outcomes = { identical: 0, reframedHit: 0, warnedMiss: 0, staleMiss: 0, byKind: new Map<string, number>() };
    await fc.assert(
      fc.asyncProperty(mutationArb(sources), async ([index, mutation]) => {
        const source = sources[index] as Source;
        const path = reader.pathFor(source.sha);
        const bytes = mutate(sources, index, mutation);
        mkdirSync(dirname(path), { recursive: true });
        writeFileSync(path, bytes);
        warnings.length = 0;
        const got = await reader.get(source.sha);
        outcomes.byKind.set(mutation.kind, (outcomes.byKind.get(mutation.kind) ?? 0) + 1);
        for (const w of warnings) expect(w).not.toContain('\n');
        if (got === undefined) {
          let stale = false;
          try {
            stale = decodeCacheFile(bytes, { blobSha: source.sha, model: MODEL, dims: DIMS, chunker: CHUNKER }).status === 'stale';
          } catch (err) {
            // Corrupt: the decoder's verdict agrees with the reader's miss; the warning count is checked below.
            expect(err).toBeInstanceOf(Error);
          }
          expect(warnings).toHaveLength(stale ? 0 : 1);
          if (stale) outcomes.staleMiss += 1;
          else outcomes.warnedMiss += 1;
          return;
        }
        expect(warnings).toEqual([]);
        if (REFRAMED.has(mutation.kind) && embeddingBits(got) !== embeddingBits(source.embeddings)) {
          // A rebuilt frame may carry other (valid) vectors: the reader's checks hold, it is not ours to know the truth.
          expect(wellFormed(got)).toBe(true);
          outcomes.reframedHit += 1;
        } else {
          expect(embeddingBits(got)).toBe(embeddingBits(source.embeddings));
          outcomes.identical += 1;
        }
      }),
      { numRuns: RUNS, seed: SEED },
    );
    const total = outcomes.identical + outcomes.reframedHit + outcomes.warnedMiss + outcomes.staleMiss;
    console.log(
      `cache fuzz: seed 0x${SEED.toString(16)}, ${total} mutated files (${[...outcomes.byKind].map(([k, n]) => `${k} ${n}`).join(', ')}): ` +
        `${outcomes.warnedMiss} misses with one warning, ${outcomes.staleMiss} silent misses (another chunker), ` +
        `${outcomes.identical} hits with the original embeddings (harmless mutations), ${outcomes.reframedHit} hits with other valid vectors from rebuilt frames; no throw`,
    );
    expect(total).toBe(RUNS);
  });
});

describe('gitctx index over a cache with broken files', () => {
  let server: FakeOpenAI;
  let repo: TestRepo;
  const recorder = new RunRecorder();
  beforeAll(async () => {
    server = await startFakeOpenAI({ apiKey: SECRET_KEY });
    repo = makeRepo();
    const random = prng(0xb0b);
    for (let i = 0; i < 8; i++) repo.write(`src/f${i}.ts`, moduleSource(random, `f${i}`, 2));
    commitSources(repo, 'sources');
  });
  afterAll(async () => {
    await server.close();
    repo.cleanup();
  });

  it('exits 0, warns once per broken file, re-embeds exactly those blobs and repairs them byte for byte', async () => {
    const env = apiEnv(server.baseUrl);
    const first = await recorder.run(['index', '--json'], { cwd: repo.dir, env });
    expect(first.code, first.stderr).toBe(0);
    const total = JSON.parse(first.stdout).chunks as number;
    const embeddings = join(gitctxDir(repo), 'embeddings');
    const clean = snapshot(embeddings);
    const paths = [...clean.keys()].sort();
    expect(paths).toHaveLength(8);

    const broken: Record<string, (bytes: Buffer) => Uint8Array> = {
      truncated: (b) => b.subarray(0, b.length >> 1),
      'bit flip': (b) => {
        const out = Buffer.from(b);
        out[out.length >> 1]! ^= 0x10;
        return out;
      },
      empty: () => new Uint8Array(0),
      garbage: () => Buffer.from('this is not a cache file\n'.repeat(20)),
      "another blob's file": () => clean.get(paths[7] as string) as Buffer,
    };
    const damaged = Object.keys(broken).map((what, i) => {
      const path = paths[i] as string;
      writeFileSync(join(embeddings, path), broken[what]!(clean.get(path) as Buffer));
      return path;
    });
    // With the database gone, every blob is read from the cache.
    rmSync(join(gitctxDir(repo), 'db'), { recursive: true, force: true });
    const before = server.requests.length;
    const run = await recorder.run(['index', '--json'], { cwd: repo.dir, env });
    expect(run.code, run.stderr).toBe(0);
    const warnings = run.stderr.trimEnd().split('\n');
    expect(warnings).toHaveLength(damaged.length);
    for (const path of damaged) expect(warnings.filter((w) => /^gitctx: warning: ignoring cache file /.test(w) && w.includes(path))).toHaveLength(1);
    const summary = JSON.parse(run.stdout);
    expect(summary.chunks).toBe(total);
    expect(summary.cache_hits + summary.embedded_chunks).toBe(total);
    expect(summary.embedded_chunks).toBeGreaterThan(0);
    expect(server.requests.length - before).toBe(1);
    const reembedded = server.requests.at(-1)!.inputs;
    expect(reembedded).toBe(summary.embedded_chunks);

    // Repaired: the same bytes a clean run wrote, and a later rebuild reads them all without a word.
    expect(snapshot(embeddings)).toEqual(clean);
    const meta = readMeta(repo)!;
    expect((await inspectCache(repo, { model: meta.model, dims: meta.dims, chunker: meta.chunker })).broken).toEqual([]);
    rmSync(join(gitctxDir(repo), 'db'), { recursive: true, force: true });
    const again = await recorder.run(['index', '--json'], { cwd: repo.dir, env });
    expect(again.stderr).toBe('');
    expect(JSON.parse(again.stdout)).toMatchObject({ embedded_chunks: 0, cache_hits: total });

    expect(recorder.leaks()).toEqual([]);
    expect(filesContaining(gitctxDir(repo))).toEqual([]);
    console.log(`index over ${damaged.length} broken cache files of 8: exit 0, ${warnings.length} warnings, ${summary.embedded_chunks} of ${total} chunks re-embedded in 1 request, files repaired byte-identical`);
  });
});
