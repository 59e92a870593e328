import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { describeStatus } from '../../src/app/status.js';
import { statusOutputSchema } from '../../src/mcp/schemas.js';
import * as lancedb from '@lancedb/lancedb';
import { IndexStore, readIndexMeta } from '../../src/store/index-store.js';
import { writeIndexMeta } from '../../src/store/meta.js';
import type { WriteOptions } from '../../src/store/index-store.js';
import type { ChunkRow } from '../../src/store/schema.js';
import { chunkRow } from '../helpers/chunk-rows.js';
import { NPROBES, partitionsFor, planVectorIndex, REFINE_MIN_CANDIDATES, refineFactorFor, VECTOR_INDEX_KIND } from '../../src/store/vector-index.js';

describe('planVectorIndex', () => {
  const policy = { minRows: 1000, rowsPerPartition: 100 };
  const record = { kind: VECTOR_INDEX_KIND, trained_rows: 1000, partitions: 10 };
  it.each([
    ['a small table stays exact', 999, false, undefined, 'none'],
    ['the threshold trains an index', 1000, false, undefined, 'train'],
    ['a grown table keeps its index and adds to it', 1999, true, record, 'update'],
    ['twice the rows it was trained on retrains', 2000, true, record, 'train'],
    ['an index of unknown origin is retrained', 1500, true, undefined, 'train'],
    ['an index of another kind (an older gitctx HNSW one) is retrained', 1500, true, { ...record, kind: 'ivf_hnsw_sq' }, 'train'],
    ['so is the IVF_PQ one that followed it', 1500, true, { ...record, kind: 'ivf_pq' }, 'train'],
    ['just under the threshold keeps the index (no flapping)', 600, true, record, 'update'],
    ['under half the threshold drops it', 499, true, record, 'drop'],
  ] as const)('%s', (_name, rows, hasIndex, rec, kind) => {
    expect(planVectorIndex(rows, hasIndex, rec, policy).kind).toBe(kind);
  });

  it('trains partitions of about rowsPerPartition rows', () => {
    expect(planVectorIndex(2000, false, undefined, policy)).toEqual({ kind: 'train', partitions: 20 });
    expect(partitionsFor(1_000_000)).toBe(122);
    expect(partitionsFor(100_000)).toBe(12);
    expect(partitionsFor(10)).toBe(1);
  });
});

describe('query parameters', () => {
  it('re-ranks at least REFINE_MIN_CANDIDATES rows, and a large limit twice its own', () => {
    expect(refineFactorFor(11) * 11).toBeGreaterThanOrEqual(REFINE_MIN_CANDIDATES);
    expect(refineFactorFor(1)).toBe(REFINE_MIN_CANDIDATES);
    expect(refineFactorFor(REFINE_MIN_CANDIDATES)).toBe(2);
    expect(refineFactorFor(501)).toBe(2);
  });
});

// 64, not fewer: a quantised index needs room in its codes, and a real model has hundreds of dimensions.
const DIMS = 64;
const identity = { model: 'test-model', dims: DIMS, chunker: 'test-chunker' };
const policy = { vectorIndex: { minRows: 400, rowsPerPartition: 50 } };
let dir: string;

beforeEach(async () => {
  dir = join(await mkdtemp(join(tmpdir(), 'gitctx-ann-')), 'db');
});
afterEach(async () => {
  await rm(join(dir, '..'), { recursive: true, force: true });
});

/** Deterministic noise in [-0.5, 0.5): the fractional part of a multiplicative hash (no ties, no period). */
function noise(i: number, d: number): number {
  let h = Math.imul(i + 1, 0x9e3779b1) ^ Math.imul(d + 1, 0x85ebca77);
  h = Math.imul(h ^ (h >>> 15), 0x2c1b3c6d);
  h ^= h >>> 13;
  return (h >>> 0) / 2 ** 32 - 0.5;
}

/**
 * A vector near one of eight directions, placed around it by a few latent factors plus a
 * little noise, so the table has clusters and a low intrinsic dimension as embeddings do
 * (uniform noise in every dimension, which no embedding looks like, leaves a quantised
 * index too little margin between a point's neighbours to rank them).
 */
function vectorOf(i: number): Float32Array {
  const v = new Float32Array(DIMS);
  v[i % 8] = 1;
  for (let f = 0; f < LATENT; f++) {
    const z = noise(i, DIMS + f);
    for (let d = 0; d < DIMS; d++) v[d] = (v[d] as number) + 1.2 * z * noise(-1 - f, d);
  }
  for (let d = 0; d < DIMS; d++) v[d] = (v[d] as number) + 0.02 * noise(i, d);
  return v;
}
const LATENT = 6;

const pathOf = (i: number) => `src/file${i}.${i % 5 === 0 ? 'py' : 'ts'}`;

function rowsFrom(start: number, count: number): ChunkRow[] {
  return Array.from({ length: count }, (_, k) => {
    const i = start + k;
    return chunkRow({
      file_id: `f${i}`,
      vector: vectorOf(i),
      content: `chunk ${i}`,
      path: pathOf(i),
      language: i % 5 === 0 ? 'python' : 'typescript',
      blob_sha: i.toString(16).padStart(40, '0'),
      model: identity.model,
    });
  });
}

async function writeRun(add: ChunkRow[], remove: string[] = [], options: WriteOptions = policy): Promise<void> {
  const store = await IndexStore.openForWrite(dir, identity, () => undefined, options);
  try {
    await store.removeFiles(remove);
    await store.add(add);
    await store.commit({ ...identity, indexed_commit: null });
  } finally {
    store.close();
  }
}

async function withReader<T>(use: (store: IndexStore) => Promise<T>): Promise<T> {
  const store = await IndexStore.openForRead(dir);
  if (store === undefined) throw new Error('no index');
  try {
    return await use(store);
  } finally {
    store.close();
  }
}

describe('IndexStore ANN index', () => {
  it('is built past the threshold, kept current on incremental runs, retrained at twice the rows, dropped when the table shrinks', async () => {
    await writeRun(rowsFrom(0, 399));
    expect((await readIndexMeta(dir))?.vector_index).toBeUndefined();
    expect(await withReader((s) => s.hasVectorIndex())).toBe(false);

    await writeRun(rowsFrom(399, 101));
    expect((await readIndexMeta(dir))?.vector_index).toMatchObject({ kind: VECTOR_INDEX_KIND, trained_rows: 500 });
    expect(await withReader((s) => s.hasVectorIndex())).toBe(true);

    // Rows added later are found through the index: each row's own vector finds that row first.
    await writeRun(rowsFrom(500, 100));
    expect((await readIndexMeta(dir))?.vector_index).toMatchObject({ trained_rows: 500 });
    await withReader(async (s) => {
      for (const i of [3, 250, 520, 599]) {
        const [best] = await s.vectorSearch(vectorOf(i), { limit: 5 });
        expect(best?.path).toBe(pathOf(i));
        expect(best?.score).toBeCloseTo(1, 5);
      }
    });

    await writeRun(rowsFrom(600, 400));
    expect((await readIndexMeta(dir))?.vector_index).toMatchObject({ trained_rows: 1000 });

    await writeRun([], Array.from({ length: 850 }, (_, i) => `f${i}`));
    expect((await readIndexMeta(dir))?.vector_index).toBeUndefined();
    expect(await withReader((s) => s.hasVectorIndex())).toBe(false);
    expect(await withReader((s) => s.countRows())).toBe(150);
  });

  it('prewarms its index for a search to come, and a store closed meanwhile fails nothing', async () => {
    await writeRun(rowsFrom(0, 500));
    await withReader(async (s) => {
      s.prewarmVectorSearch();
      s.prewarmVectorSearch();
      const [best] = await s.vectorSearch(vectorOf(42), { limit: 5 });
      expect(best?.path).toBe(pathOf(42));
    });
    // Closed at once: the load in flight is dropped, and nothing is left to reject unhandled.
    await withReader(async (s) => s.prewarmVectorSearch());
    await writeRun([], Array.from({ length: 400 }, (_, i) => `f${i}`));
    // No index (back to exact search): nothing to load.
    await withReader(async (s) => {
      s.prewarmVectorSearch();
      expect((await s.vectorSearch(vectorOf(450), { limit: 1 }))[0]?.path).toBe(pathOf(450));
    });
  });

  it('answers like an exact scan, with exact cosine scores, and filters before the search', async () => {
    // Over twice the partitions (96) a query probes (NPROBES), so a narrow filter needs rows beyond them.
    await writeRun(rowsFrom(0, 2400), [], { vectorIndex: { minRows: 400, rowsPerPartition: 25 } });
    expect((await readIndexMeta(dir))?.vector_index?.partitions).toBeGreaterThan(2 * NPROBES);
    await withReader(async (s) => {
      expect(await s.hasVectorIndex()).toBe(true);
      let hits = 0;
      for (let q = 0; q < 20; q++) {
        const query = vectorOf(10_000 + q);
        const ann = await s.vectorSearch(query, { limit: 10 });
        const exact = await s.vectorSearch(query, { limit: 10 }, { exact: true });
        const exactScores = new Map(exact.map((c) => [c.path, c.score]));
        for (const c of ann) {
          if (!exactScores.has(c.path)) continue;
          hits++;
          expect(c.score).toBeCloseTo(exactScores.get(c.path) as number, 5);
        }
      }
      expect(hits / 200).toBeGreaterThanOrEqual(0.95);

      // A filter passing one row in five still fills the limit with matching rows only.
      const filtered = await s.vectorSearch(vectorOf(3), { limit: 10, filter: { language: 'python' } });
      const exactFiltered = await s.vectorSearch(vectorOf(3), { limit: 10, filter: { language: 'python' } }, { exact: true });
      expect(filtered).toHaveLength(10);
      expect(filtered.every((c) => c.language === 'python')).toBe(true);
      expect(filtered.map((c) => c.path)).toEqual(exactFiltered.map((c) => c.path));

      // A pool-sized query (re-ranking only its own rows) finds what the scan finds, with exact scores.
      const pool = await s.vectorSearch(vectorOf(10_100), { limit: 100 });
      const exactPool = await s.vectorSearch(vectorOf(10_100), { limit: 100 }, { exact: true });
      expect(pool).toHaveLength(100);
      const poolScores = new Map(exactPool.map((c) => [c.path, c.score]));
      expect(pool.filter((c) => poolScores.has(c.path)).length / 100).toBeGreaterThanOrEqual(0.95);
      for (const c of pool) if (poolScores.has(c.path)) expect(c.score).toBeCloseTo(poolScores.get(c.path) as number, 5);

      // A filter narrower than any partition still finds every row it passes, wherever they are.
      const only = Array.from({ length: 8 }, (_, k) => pathOf(k * 199 + 1));
      for (let q = 0; q < 8; q++) {
        const narrow = await s.vectorSearch(vectorOf(q), { limit: 10, filter: { paths: { only } } });
        expect(narrow.map((c) => c.path).sort()).toEqual([...only].sort());
        // And in the scan's order, with its scores: the index's short answer was replaced by the scan's.
        const exactNarrow = await s.vectorSearch(vectorOf(q), { limit: 10, filter: { paths: { only } } }, { exact: true });
        expect(narrow).toEqual(exactNarrow);
      }
    });
  });
});

describe('status', () => {
  it('names the vector index when there is one, and says nothing of it when searches are exact', () => {
    const report = {
      indexed_commit: 'a'.repeat(40),
      model: 'local-v1',
      dims: 512,
      files: 9000,
      chunks: 120_000,
      cache: { files: 9000, bytes: 1, uncompressed_bytes: 2 },
      stale: false,
      head: 'a'.repeat(40),
      db_uri: null,
      vector_index: { kind: VECTOR_INDEX_KIND, partitions: 15, trained_rows: 120_000 },
      pending_changes: null,
    };
    expect(statusOutputSchema.parse(report)).toEqual(report);
    expect(describeStatus(report)).toContain('vector index:   ivf_rq, 15 partitions, trained on 120000 chunks');
    expect(describeStatus(report)).not.toContain('pending');
    expect(describeStatus({ ...report, vector_index: null })).not.toContain('vector index');
    // Changes a run left for later: counted, and said to be searched all the same.
    const pending = { ...report, pending_changes: { rows: 3852, runs: 2 } };
    expect(statusOutputSchema.parse(pending)).toEqual(pending);
    expect(describeStatus(pending)).toContain('pending:        3852 rows added or removed in 2 run(s) since the indexes were rebuilt');
  });
});

describe('maintenance left for a later run', () => {
  const maintenance = { minRows: 400, maxPendingShare: 0.1, maxPendingRows: 60, maxDeferredRuns: 2 };
  const options = { ...policy, maintenance };

  /** Fragments of the chunks table, and rows its full-text index does not cover yet. */
  async function layout(): Promise<{ fragments: number; unindexed: number }> {
    const db = await lancedb.connect(dir);
    try {
      const table = await db.openTable('chunks');
      const text = (await table.listIndices()).find((index) => index.columns.includes('search_text'));
      const stats = text === undefined ? undefined : await table.indexStats(text.name);
      return { fragments: (await table.stats()).fragmentStats.numFragments, unindexed: stats?.numUnindexedRows ?? -1 };
    } finally {
      db.close();
    }
  }

  it('leaves small changes unindexed but found, and maintains once they add up', async () => {
    await writeRun(rowsFrom(0, 500), [], options);
    expect(await layout()).toEqual({ fragments: 1, unindexed: 0 });
    expect((await readIndexMeta(dir))?.pending_changes).toBeUndefined();

    // 10 rows added and 10 deleted: 20 of at most 60, so the table is left as it is.
    await writeRun(rowsFrom(500, 10), Array.from({ length: 10 }, (_, i) => `f${i}`), options);
    expect((await readIndexMeta(dir))?.pending_changes).toEqual({ rows: 20, runs: 1 });
    expect(await layout()).toEqual({ fragments: 2, unindexed: 10 });
    await withReader(async (s) => {
      expect(await s.countRows()).toBe(500);
      // New rows, which no index covers, are found by both rankers; deleted rows by neither.
      const [best] = await s.vectorSearch(vectorOf(505), { limit: 5 });
      expect(best).toMatchObject({ path: pathOf(505) });
      expect(best?.score).toBeCloseTo(1, 5);
      expect((await s.textSearch('505', { limit: 5 })).map((c) => c.path)).toEqual([pathOf(505)]);
      expect(await s.textSearch('3', { limit: 5 })).toEqual([]);
      expect((await s.vectorSearch(vectorOf(3), { limit: 10 })).map((c) => c.path)).not.toContain(pathOf(3));
    });

    // A run with nothing to do keeps the count.
    await writeRun([], [], options);
    expect((await readIndexMeta(dir))?.pending_changes).toEqual({ rows: 20, runs: 1 });

    await writeRun(rowsFrom(510, 10), [], options);
    expect((await readIndexMeta(dir))?.pending_changes).toEqual({ rows: 30, runs: 2 });

    // A third run in a row is one too many: compaction, indexes and pruning catch up.
    await writeRun(rowsFrom(520, 1), [], options);
    expect((await readIndexMeta(dir))?.pending_changes).toBeUndefined();
    expect(await layout()).toEqual({ fragments: 1, unindexed: 0 });
    await withReader(async (s) => expect((await s.textSearch('515', { limit: 5 })).map((c) => c.path)).toEqual([pathOf(515)]));
  });

  it('maintains at once a run whose changes are large against the table, or that follows an unreadable count', async () => {
    await writeRun(rowsFrom(0, 500), [], options);
    // 61 rows: more than maxPendingRows.
    await writeRun(rowsFrom(500, 61), [], options);
    expect((await readIndexMeta(dir))?.pending_changes).toBeUndefined();
    expect(await layout()).toEqual({ fragments: 1, unindexed: 0 });

    // A count that is not one (meta.json is rewritten by others' tools too) counts as too much.
    const meta = await readIndexMeta(dir);
    await writeIndexMeta(dir, { ...meta!, pending_changes: { rows: -1, runs: 0 } });
    await writeRun(rowsFrom(561, 1), [], options);
    expect((await readIndexMeta(dir))?.pending_changes).toBeUndefined();
    expect(await layout()).toEqual({ fragments: 1, unindexed: 0 });
  });

  it('maintains the run after one that stopped between its writes and its commit', async () => {
    await writeRun(rowsFrom(0, 500), [], options);
    const killed = await IndexStore.openForWrite(dir, identity, () => undefined, options);
    await killed.add(rowsFrom(500, 5));
    await killed.flush();
    killed.close();
    // Its rows are in the table, counted nowhere: this run cannot know how much is pending.
    await writeRun(rowsFrom(505, 1), [], options);
    expect((await readIndexMeta(dir))?.pending_changes).toBeUndefined();
    expect(await layout()).toEqual({ fragments: 1, unindexed: 0 });
    await withReader(async (s) => expect(await s.countRows()).toBe(506));
  });

  it('maintains on every run below minRows, as before', async () => {
    await writeRun(rowsFrom(0, 399), [], options);
    await writeRun(rowsFrom(399, 1), [], options);
    expect((await readIndexMeta(dir))?.pending_changes).toBeUndefined();
    expect(await layout()).toEqual({ fragments: 1, unindexed: 0 });
  });
});
