import { copyFileSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { EmbeddingCache } from '../../src/cache/index.js';
import type { CacheEncoding, Embedding } from '../../src/cache/index.js';
import { API_MAX_DEVIATION, DETERMINISTIC_MAX_DEVIATION, verifyCache } from '../../src/cache-maintenance/index.js';
import type { VerifyModel, VerifyReport } from '../../src/cache-maintenance/index.js';
import { scanCache } from '../../src/cache-maintenance/scan.js';
import { checkCacheFile, compareSpans, cosine, pickRandom } from '../../src/cache-maintenance/verify.js';
import { chunkerOptionsFor, chunkerSignature, chunkText } from '../../src/chunk/index.js';
import type { Chunk } from '../../src/chunk/index.js';
import { createLocalProvider } from '../../src/embed/index.js';
import { openRepository } from '../../src/git/index.js';
import { unitVectors } from '../helpers/cache-data.js';
import { cloneRepo, makeRepo } from '../helpers/git-repo.js';
import type { TestRepo } from '../helpers/git-repo.js';
import { track } from '../helpers/cleanup.js';

const local = createLocalProvider();
const chunker = chunkerOptionsFor(local);
const signature = chunkerSignature(chunker);
const localFacts: VerifyModel = { dims: local.dims, chunker, provider: local, maxDeviation: DETERMINISTIC_MAX_DEVIATION };


const SOURCES: Record<string, string> = {
  'src/math.ts': 'export function add(a: number, b: number): number {\n  return a + b;\n}\n\nexport const ZERO = 0;\n',
  'src/io.py': 'import os\n\n\ndef read_config(path):\n    with open(path) as f:\n        return f.read()\n',
  'README.md': '# Demo\n\nA tiny repository for verify tests.\n\n## Usage\n\nRun it.\n',
};

/** The embeddings the indexer would store for `text` with the local model. */
async function embed(text: string): Promise<Embedding[]> {
  const chunks = chunkText(text, chunker);
  const { vectors } = await local.embed(chunks.map((c) => c.text));
  return chunks.map((c, i) => ({ vector: vectors[i] as Float32Array, startLine: c.startLine, endLine: c.endLine, tokens: c.tokens, chunkHash: c.hash }));
}

function cacheOf(repo: TestRepo, options: { encoding?: CacheEncoding; chunker?: string; model?: string; dims?: number } = {}): EmbeddingCache {
  return new EmbeddingCache({
    dir: join(repo.dir, '.gitctx', 'embeddings'),
    model: options.model ?? local.model,
    dims: options.dims ?? local.dims,
    encoding: options.encoding ?? 'f32',
    chunker: options.chunker ?? signature,
  });
}

const blobOf = (repo: TestRepo, rev: string) => repo.git(['rev-parse', rev]).trim();

/** A repository whose HEAD files are all cached, each file in its own encoding. */
async function indexedRepo(): Promise<{ repo: TestRepo; shas: Record<string, string> }> {
  const repo = track(makeRepo({ files: SOURCES }));
  const encodings: CacheEncoding[] = ['f32', 'f32-shuffle', 'f16'];
  const shas: Record<string, string> = {};
  let i = 0;
  for (const [path, text] of Object.entries(SOURCES)) {
    shas[path] = blobOf(repo, `HEAD:${path}`);
    await cacheOf(repo, { encoding: encodings[i++ % encodings.length] }).set(shas[path], await embed(text));
  }
  return { repo, shas };
}

async function verify(repo: TestRepo, options: { reembed?: number; modelFor?: (model: string) => Promise<VerifyModel> } = {}): Promise<VerifyReport> {
  return verifyCache({
    repo: await openRepository(repo.dir),
    dir: join(repo.dir, '.gitctx', 'embeddings'),
    modelFor: options.modelFor ?? (async (model) => (model === local.model ? localFacts : { unavailable: 'not configured in this test' })),
    reembed: options.reembed ?? 0,
    // Every eligible file, in order: the test sees all of them, with no randomness.
    pick: (size, count) => Array.from({ length: Math.min(size, count) }, (_, i) => i),
  });
}

const reasons = (report: VerifyReport) => Object.fromEntries(report.bad.map((b) => [b.path.replace(/^\.gitctx\/embeddings\//, ''), b.reason]));

describe('verifyCache', () => {
  it('passes a sound cache in every encoding, and re-embedding local-v1 agrees within f16 rounding', async () => {
    const { repo, shas } = await indexedRepo();
    const report = await verify(repo, { reembed: 10 });
    expect(report).toMatchObject({ files: 3, ok: 3, bad: [], warnings: [] });
    expect(report.reembedded.blobs).toEqual(Object.values(shas).sort());
    expect(report.reembedded.max_deviation).not.toBeNull();
    expect(report.reembedded.max_deviation).toBeLessThan(1e-4);
  });

  it('names every defect a decoder, the repository or the chunker can see', async () => {
    const { repo, shas } = await indexedRepo();
    const root = join(repo.dir, '.gitctx', 'embeddings');
    const cache = cacheOf(repo);
    const math = shas['src/math.ts'] as string;
    const io = shas['src/io.py'] as string;

    // An old version: in the repository, but not cached by anyone.
    repo.write('src/math.ts', `${SOURCES['src/math.ts']}export const ONE = 1;\n`);
    repo.commit('one');
    const older = math;
    const newer = blobOf(repo, 'HEAD:src/math.ts');

    // Bit flip inside the frame.
    const flipped = readFileSync(cache.pathFor(io));
    flipped[Math.floor(flipped.length / 2)]! ^= 0x10;
    writeFileSync(cache.pathFor(io), flipped);
    // Spans that do not match the blob (shifted by a line), everything else sound.
    const shifted = (await embed(`${SOURCES['src/math.ts']}export const ONE = 1;\n`)).map((e) => ({ ...e, startLine: e.startLine + 1, endLine: e.endLine + 1 }));
    await cache.set(newer, shifted);
    // A file named after a tree.
    const tree = blobOf(repo, 'HEAD:src');
    mkdirSync(dirname(cache.pathFor(tree)), { recursive: true });
    copyFileSync(cache.pathFor(older), cache.pathFor(tree));
    // Another chunker: a warning, not a failure.
    const readme = shas['README.md'] as string;
    await cacheOf(repo, { chunker: 'lines-v0:target=1' }).set(readme, await embed(SOURCES['README.md'] as string));
    // Wrong size for local-v1.
    const wide = unitVectors(1, 8, 3).map((vector) => ({ vector, startLine: 1, endLine: 1, tokens: 1 }));
    const small = new EmbeddingCache({ dir: root, model: local.model, dims: 8, chunker: signature });
    const orphan = 'f'.repeat(40);
    await small.set(orphan, wide);
    // Layout: wrong fan-out, a symlink, a bad name, a temp file, a stray file, a directory no model maps to.
    mkdirSync(join(root, 'local-v1', '00'), { recursive: true });
    copyFileSync(cache.pathFor(older), join(root, 'local-v1', '00', `${older}.safetensors.zst`));
    symlinkSync(cache.pathFor(older), join(root, 'local-v1', older.slice(0, 2), `${older.slice(0, 2)}${'0'.repeat(38)}.safetensors.zst`));
    writeFileSync(join(root, 'local-v1', older.slice(0, 2), 'NOT-A-SHA.safetensors.zst'), 'x');
    writeFileSync(`${cache.pathFor(older)}.123-1-abcd.tmp`, 'partial');
    writeFileSync(join(root, 'local-v1', 'README'), 'hi');
    mkdirSync(join(root, 'Upper', older.slice(0, 2)), { recursive: true });
    copyFileSync(cache.pathFor(older), join(root, 'Upper', older.slice(0, 2), `${older}.safetensors.zst`));

    const report = await verify(repo);
    const fan = older.slice(0, 2);
    expect(reasons(report)).toEqual({
      [`local-v1/${io.slice(0, 2)}/${io}.safetensors.zst`]: expect.stringMatching(/zstd|checksum|corrupt/i),
      [`local-v1/${newer.slice(0, 2)}/${newer}.safetensors.zst`]: expect.stringMatching(/^spans do not match the blob: chunk 0 is stored as lines 2-/),
      [`local-v1/${tree.slice(0, 2)}/${tree}.safetensors.zst`]: expect.stringMatching(/file is for blob .*, not [0-9a-f]{40}/),
      [`local-v1/ff/${orphan}.safetensors.zst`]: expect.stringMatching(/8 dimensions, model "local-v1" has 512/),
      [`local-v1/00/${older}.safetensors.zst`]: expect.stringMatching(/fan-out directory 00, not/),
      [`local-v1/${fan}/${fan}${'0'.repeat(38)}.safetensors.zst`]: expect.stringMatching(/symbolic link/),
      [`local-v1/${fan}/NOT-A-SHA.safetensors.zst`]: expect.stringMatching(/not a blob id/),
      [`Upper/${fan}/${older}.safetensors.zst`]: expect.stringMatching(/does not name a model/),
    });
    // The untouched old version, and the README made by another chunker (a warning only).
    expect(report.ok).toBe(2);
    expect(report.files).toBe(10);
    const warned = report.warnings.map((w) => `${w.path}: ${w.reason}`).join('\n');
    expect(warned).toMatch(new RegExp(`${readme}.*made by another chunker`));
    expect(warned).toMatch(/\.tmp: temporary file .*cache prune/);
    expect(warned).toMatch(/local-v1\/README: not a fan-out directory/);
  });

  it('flags a blob that is neither committed nor in the work tree, and a tree id, but accepts an uncommitted file', async () => {
    const { repo } = await indexedRepo();
    const cache = cacheOf(repo);
    repo.write('draft.ts', 'export const draft = true;\n');
    const draft = repo.git(['hash-object', 'draft.ts']).trim();
    await cache.set(draft, await embed('export const draft = true;\n'));
    const ghost = '0123456789abcdef0123456789abcdef01234567';
    await cache.set(ghost, await embed('export const ghost = 1;\n'));
    const tree = blobOf(repo, 'HEAD:src');
    await cache.set(tree, await embed('export const tree = 1;\n'));

    const report = await verify(repo);
    expect(reasons(report)).toEqual({
      [`local-v1/01/${ghost}.safetensors.zst`]: expect.stringMatching(/neither in the repository nor an uncommitted file/),
      [`local-v1/${tree.slice(0, 2)}/${tree}.safetensors.zst`]: `object ${tree} is a tree, not a blob`,
    });
    expect(report.ok).toBe(4);
  });

  it('in a shallow clone, a blob beyond the boundary is a warning', async () => {
    const source = track(makeRepo({ files: { 'a.ts': 'export const a = 1;\n' } }));
    const old = blobOf(source, 'HEAD:a.ts');
    source.write('a.ts', 'export const a = 2;\n');
    source.commit('two');
    const clone = track(cloneRepo(source, { depth: 1 }));
    await cacheOf(clone).set(old, await embed('export const a = 1;\n'));
    const report = await verify(clone);
    expect(report).toMatchObject({ files: 1, ok: 1, bad: [] });
    expect(report.warnings[0]?.reason).toMatch(/not in this shallow clone/);
  });

  it('catches a well-formed file with other vectors only by re-embedding', async () => {
    const { repo, shas } = await indexedRepo();
    const math = shas['src/math.ts'] as string;
    const honest = await embed(SOURCES['src/math.ts'] as string);
    const poisoned = honest.map((e, i) => ({ ...e, vector: unitVectors(1, local.dims, 100 + i)[0] as Float32Array }));
    await cacheOf(repo).set(math, poisoned);

    expect((await verify(repo)).bad).toEqual([]);
    const report = await verify(repo, { reembed: 3 });
    expect(reasons(report)).toEqual({
      [`local-v1/${math.slice(0, 2)}/${math}.safetensors.zst`]: expect.stringMatching(/^re-embedding disagrees with the stored vectors: chunk 0 .* cosine -?0\.\d+, below the 0\.9990/),
    });
    expect(report.reembedded.max_deviation).toBeGreaterThan(0.5);
  });

  it('checks models it cannot call by decoding and by agreement on size, and says what it skipped', async () => {
    const { repo, shas } = await indexedRepo();
    const other = (dims: number) => new EmbeddingCache({ dir: join(repo.dir, '.gitctx', 'embeddings'), model: 'text-embedding-3-small', dims, chunker: 'cl100k' });
    const vectors = (dims: number) => unitVectors(2, dims, 7).map((vector, i) => ({ vector, startLine: i + 1, endLine: i + 1, tokens: 3 }));
    const [a, b, c] = Object.values(shas) as [string, string, string];
    await other(16).set(a, vectors(16));
    await other(16).set(b, vectors(16));
    await other(12).set(c, vectors(12));

    const report = await verify(repo, { reembed: 100 });
    expect(reasons(report)).toEqual({
      [`text-embedding-3-small/${c.slice(0, 2)}/${c}.safetensors.zst`]: '12 dimensions, while most files of text-embedding-3-small have 16',
    });
    const warned = report.warnings.map((w) => `${w.path}: ${w.reason}`);
    expect(warned).toContain('.gitctx/embeddings/text-embedding-3-small: spans and vectors not checked: not configured in this test');
    expect(warned).toContain('.gitctx/embeddings/text-embedding-3-small: 2 files not eligible for re-embedding: not configured in this test');
    expect(report.reembedded.files).toHaveLength(3);
  });

  it('reports an empty or missing cache as nothing to check', async () => {
    const repo = track(makeRepo({ files: { 'a.ts': 'export {};\n' } }));
    expect(await verify(repo, { reembed: 5 })).toMatchObject({ files: 0, ok: 0, bad: [], warnings: [], reembedded: { blobs: [], max_deviation: null } });
  });
});

describe('checkCacheFile', () => {
  it('holds a file to the blob and model it is filed under, and to the model size when known', async () => {
    const repo = track(makeRepo());
    const cache = cacheOf(repo);
    const sha = 'a'.repeat(40);
    await cache.set(sha, await embed('const x = 1;\n'));
    const bytes = readFileSync(cache.pathFor(sha));
    expect(checkCacheFile(bytes, { blobSha: sha, model: local.model })).toMatchObject({ chunker: signature, dims: local.dims });
    expect(() => checkCacheFile(bytes, { blobSha: 'b'.repeat(40), model: local.model })).toThrow(/file is for blob/);
    expect(() => checkCacheFile(bytes, { blobSha: sha, model: 'other' })).toThrow(/file is for model/);
    expect(() => checkCacheFile(bytes, { blobSha: sha, model: local.model, dims: 8 })).toThrow(/512 dimensions/);
    expect(() => checkCacheFile(bytes.subarray(0, bytes.length - 3), { blobSha: sha, model: local.model })).toThrow();
    expect(() => checkCacheFile(new Uint8Array(0), { blobSha: sha, model: local.model })).toThrow(/too short/);
  });

  it('decodes in full even when the file was made by another chunker', async () => {
    const repo = track(makeRepo());
    const cache = cacheOf(repo, { chunker: 'someone-else' });
    const sha = 'c'.repeat(40);
    await cache.set(sha, await embed('const y = 2;\n'));
    const checked = checkCacheFile(readFileSync(cache.pathFor(sha)), { blobSha: sha, model: local.model });
    expect(checked.chunker).toBe('someone-else');
    expect(checked.entry.embeddings).toHaveLength(1);
  });
});

describe('compareSpans', () => {
  const chunk = (startLine: number, endLine: number, tokens: number, hash: string): Chunk => ({ index: 0, startLine, endLine, tokens, hash, text: '' });
  it('agrees only with the exact spans, tokens and hashes, and says where they part', () => {
    expect(compareSpans([[1, 3, 10, 'h']], [chunk(1, 3, 10, 'h')])).toBeUndefined();
    expect(compareSpans([[1, 3, 10, 'h']], [chunk(1, 3, 10, 'h'), chunk(5, 6, 2, 'g')])).toBe('holds 1 chunks, the blob chunks into 2');
    expect(compareSpans([[1, 3, 10, 'h']], [chunk(1, 3, 11, 'h')])).toBe(
      'chunk 0 is stored as lines 1-3, 10 tokens, hash h; the blob gives lines 1-3, 11 tokens, hash h',
    );
    expect(compareSpans([[1, 3, 10, '']], [chunk(1, 3, 10, 'h')])).toMatch(/hash none/);
  });
});

describe('cosine and pickRandom', () => {
  it('cosine is 1 for a vector with itself, -1 for its opposite, 0 for a zero vector', () => {
    const [v] = unitVectors(1, 64, 9) as [Float32Array];
    expect(cosine(v, v)).toBeCloseTo(1, 6);
    expect(cosine(v, v.map((x) => -x))).toBeCloseTo(-1, 6);
    expect(cosine(v, new Float32Array(64))).toBe(0);
    expect(() => cosine(v, new Float32Array(3))).toThrow(RangeError);
  });

  it('pickRandom gives distinct indexes in range, at most the population', () => {
    for (const [size, count] of [[10, 3], [5, 5], [4, 9], [0, 2], [7, 0]] as const) {
      const picks = pickRandom(size, count);
      expect(picks).toHaveLength(Math.min(size, count));
      expect(new Set(picks).size).toBe(picks.length);
      for (const p of picks) expect(p >= 0 && p < size).toBe(true);
    }
  });

  it('documents thresholds in the order that makes sense', () => {
    expect(DETERMINISTIC_MAX_DEVIATION).toBeLessThan(API_MAX_DEVIATION);
  });
});

describe('scanCache', () => {
  it('never follows a symlinked model or fan-out directory', async () => {
    const repo = track(makeRepo());
    const root = join(repo.dir, '.gitctx', 'embeddings');
    const elsewhere = join(repo.dir, 'elsewhere');
    const sha = 'd'.repeat(40);
    mkdirSync(join(elsewhere, 'dd'), { recursive: true });
    writeFileSync(join(elsewhere, 'dd', `${sha}.safetensors.zst`), 'x');
    mkdirSync(join(root, 'local-v1'), { recursive: true });
    symlinkSync(elsewhere, join(root, 'linked'));
    symlinkSync(join(elsewhere, 'dd'), join(root, 'local-v1', 'dd'));
    const scan = await scanCache(root);
    expect(scan.files).toEqual([]);
    expect(scan.others.map((o) => [o.path.slice(root.length + 1), o.kind])).toEqual([
      ['linked', 'invalid'],
      ['local-v1/dd', 'invalid'],
    ]);
  });
});
