/** The pure planner: what a run adds, removes, keeps and skips, and what each blob reuses or would embed. */
import { describe, expect, it } from 'vitest';

import { chunkText } from '../../src/chunk/index.js';
import { createFileFilter } from '../../src/filter/index.js';
import { embedEstimate, fileIdOf, planBlob, planRun, reuseCached } from '../../src/indexer/plan.js';
import type { WantedFile } from '../../src/indexer/plan.js';
import type { IndexMeta, StoredFile } from '../../src/store/index-store.js';
import { fakeOptions } from '../chunk/support.js';

function wanted(path: string, blobSha: string, extra: Partial<WantedFile> = {}): WantedFile {
  return { fileId: fileIdOf(path, blobSha), path, blobSha, size: 10, isHead: true, uncommitted: false, commit: null, ...extra };
}

function stored(file: WantedFile, chunks = 2): StoredFile {
  return { fileId: file.fileId, path: file.path, blobSha: file.blobSha, isHead: file.isHead, uncommitted: file.uncommitted, commitSha: null, chunks };
}

const META: IndexMeta = {
  schema_version: 1,
  model: 'm',
  dims: 4,
  chunker: 'c',
  indexed_commit: null,
  updated_at: '2020-01-01T00:00:00.000Z',
  filter_inputs: 'usual',
};

describe('planRun', () => {
  const a1 = wanted('a.ts', 'a1');
  const a2 = wanted('a.ts', 'a2');
  const b = wanted('b.ts', 'b1');
  const c = wanted('c.ts', 'c1');
  const inputsOf = () => 'usual';

  it('keeps what is stored unchanged, adds what is new, removes what is gone, and lists replaced versions by path', () => {
    const plan = planRun({
      wanted: [a2, b],
      stored: new Map([a1, b, c].map((f) => [f.fileId, stored(f)])),
      previous: META,
      force: false,
      usualInputs: 'usual',
      inputsOf,
    });
    expect(plan.add.map((f) => f.fileId)).toEqual([a2.fileId]);
    expect(new Set(plan.remove)).toEqual(new Set([a1.fileId, c.fileId]));
    expect(plan.kept.map((f) => f.fileId)).toEqual([b.fileId]);
    expect(plan.unchanged).toBe(1);
    expect([...plan.previousBlobs]).toEqual([
      ['a.ts', ['a1']],
      ['c.ts', ['c1']],
    ]);
  });

  it('adds everything again with force', () => {
    const plan = planRun({ wanted: [b], stored: new Map([[b.fileId, stored(b)]]), previous: undefined, force: true, usualInputs: 'usual', inputsOf });
    expect(plan.add).toEqual([b]);
    expect(plan.remove).toEqual([b.fileId]);
    expect(plan.kept).toEqual([]);
  });

  it('leaves out a remembered content skip while its inputs hold, and decides it again once they change', () => {
    const previous: IndexMeta = { ...META, skipped_files: { [c.fileId]: { reason: 'binary', inputs: 'usual' } } };
    const held = planRun({ wanted: [b, c], stored: new Map(), previous, force: false, usualInputs: 'usual', inputsOf });
    expect(held.knownSkips).toEqual({ [c.fileId]: { reason: 'binary', inputs: 'usual' } });
    expect(held.wanted).toEqual([b]);
    expect(held.add).toEqual([b]);

    const changed = planRun({ wanted: [b, c], stored: new Map(), previous, force: false, usualInputs: 'other', inputsOf: () => 'other' });
    expect(changed.knownSkips).toEqual({});
    expect(changed.add).toEqual([b, c]);
  });

  it('re-adds a stored file version whose filter inputs changed since it was decided', () => {
    const plan = planRun({ wanted: [b], stored: new Map([[b.fileId, stored(b)]]), previous: META, force: false, usualInputs: 'new', inputsOf: () => 'new' });
    expect(plan.add).toEqual([b]);
    expect(plan.remove).toEqual([b.fileId]);
  });
});

describe('planBlob', () => {
  const filter = createFileFilter({ exclude: [], maxFileBytes: 1_000_000 });
  const ctx = { filter, attributes: new Map(), chunkerOptions: fakeOptions(16), maxChunks: 1000 };
  const source = Buffer.from(Array.from({ length: 40 }, (_, i) => `const value${i} = compute(${i});`).join('\n'));

  it('chunks the bytes once and names each path its own language', () => {
    const decided = planBlob(source, [wanted('x.ts', 's'), wanted('x.js', 's')], ctx);
    expect(decided.filtered).toEqual([]);
    expect(decided.dropped).toBeUndefined();
    expect(decided.included.map((f) => f.language)).toEqual(['typescript', 'javascript']);
    expect(decided.chunks).toEqual(chunkText(source.toString('utf8'), ctx.chunkerOptions));
  });

  it('leaves out what the content filter refuses, without chunking when nothing is left', () => {
    const decided = planBlob(Buffer.from([0, 1, 2, 0, 3]), [wanted('bin.dat', 'b')], ctx);
    expect(decided.filtered.map((s) => s.reason)).toEqual(['binary']);
    expect(decided.included).toEqual([]);
    expect(decided.chunks).toEqual([]);
  });

  it('drops a blob with no chunks as empty, and one with more chunks than a cache file holds as too-large', () => {
    expect(planBlob(Buffer.from('\n\n'), [wanted('e.ts', 'e')], ctx).dropped).toBe('empty');
    expect(planBlob(source, [wanted('x.ts', 's')], { ...ctx, maxChunks: 1 }).dropped).toBe('too-large');
  });
});

describe('reuseCached and embedEstimate', () => {
  const chunks = chunkText(Array.from({ length: 40 }, (_, i) => `let item${i} = make(${i});`).join('\n'), fakeOptions(16));

  it('matches cached vectors by chunk hash, the first entry first, and prices only what is left', () => {
    expect(chunks.length).toBeGreaterThan(2);
    const [first, second] = chunks;
    const own = [{ vector: new Float32Array([1]), startLine: 1, endLine: 1, tokens: 1, chunkHash: first?.hash ?? '' }];
    const earlier = [
      { vector: new Float32Array([2]), startLine: 1, endLine: 1, tokens: 1, chunkHash: first?.hash ?? '' },
      { vector: new Float32Array([3]), startLine: 1, endLine: 1, tokens: 1, chunkHash: second?.hash ?? '' },
    ];
    const { vectors, reused } = reuseCached(chunks, [own, undefined, earlier]);
    expect(reused).toBe(2);
    expect(vectors[0]).toEqual(new Float32Array([1]));
    expect(vectors[1]).toEqual(new Float32Array([3]));

    const rest = chunks.slice(2);
    const tokens = rest.reduce((n, c) => n + c.tokens, 0);
    expect(embedEstimate(chunks, vectors, 0.13)).toEqual({ chunks: rest.length, tokens, costUsd: (tokens * 0.13) / 1e6 });
    expect(embedEstimate(chunks, vectors, undefined).costUsd).toBe(0);
  });
});
