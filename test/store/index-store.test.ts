import { readdir, mkdtemp, rm, writeFile, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import * as lancedb from '@lancedb/lancedb';
import { IndexStore, readIndexMeta } from '../../src/store/index-store.js';
import { DEFAULT_RETENTION } from '../../src/store/retention.js';
import type { ChunkRow } from '../../src/store/schema.js';
import { fileChunkRows } from '../helpers/chunk-rows.js';

const identity = { model: 'test-model', dims: 4, chunker: 'test-chunker' };
let dir: string;
let warnings: string[];
const warn = (m: string) => warnings.push(m);

beforeEach(async () => {
  dir = join(await mkdtemp(join(tmpdir(), 'gitctx-store-')), 'db');
  warnings = [];
});
afterEach(async () => {
  await rm(join(dir, '..'), { recursive: true, force: true });
});

function rows(fileId: string, path: string, count: number, isHead = true, dims = 4): ChunkRow[] {
  return fileChunkRows(identity.model, fileId, path, count, isHead, dims);
}

describe('IndexStore', () => {
  it('adds, lists and removes file versions, keeping few table versions once no search can need them', async () => {
    const store = await IndexStore.openForWrite(dir, identity, warn, { retention: { graceMs: 0, maxVersions: 0, marginMs: 0 } });
    for (let f = 0; f < 50; f++) await store.add(rows(`f${f}`, `src/file ${f}.ts`, 3));
    await store.commit({ ...identity, indexed_commit: 'abc' });
    const files = await store.storedFiles();
    expect(files.size).toBe(50);
    expect(files.get('f7')).toMatchObject({ path: 'src/file 7.ts', chunks: 3, isHead: true });
    await store.removeFiles(['f1', 'f2', "it's-not-there"]);
    await store.commit({ ...identity, indexed_commit: 'def' });
    expect(await store.countRows()).toBe(48 * 3);
    expect(await store.versionCount()).toBeLessThanOrEqual(2);
    store.close();
    expect(await readIndexMeta(dir)).toMatchObject({ ...identity, indexed_commit: 'def', schema_version: 1 });
    expect(warnings).toEqual([]);
  });

  it('keeps the version meta.json names through the next commit, even where the policy lets every old version go', async () => {
    // LanceDB applies the prune's cut after its own compaction, by its own clock: once it cut
    // as much later as compaction took and deleted this version (the flaky search-during-index test).
    const retention = { graceMs: 0, maxVersions: 0, marginMs: DEFAULT_RETENTION.marginMs };
    for (let run = 0; run < 3; run++) {
      const store = await IndexStore.openForWrite(dir, identity, warn, { retention });
      const named = (await readIndexMeta(dir))?.table_version;
      await store.add(rows(`r${run}`, `r${run}.ts`, 40));
      await store.commit({ ...identity, indexed_commit: `c${run}` });
      store.close();
      if (named === undefined) continue;
      const db = await lancedb.connect(dir);
      const table = await db.openTable('chunks');
      expect((await table.listVersions()).map((v) => v.version)).toContain(named);
      await table.checkout(named);
      expect(await table.countRows()).toBe(run * 40);
      db.close();
    }
  });

  it('writes past the adds after which it reconnects without losing or repeating a row, adds overlapping', async () => {
    const store = await IndexStore.openForWrite(dir, identity, warn);
    // One add (one table version) per file, 120 in all, spanning two reconnections. The
    // indexer's files finish while a batch embeds, so their adds overlap: none may find the
    // table closed under it by a reconnection.
    const writes: Promise<void>[] = [];
    for (let f = 0; f < 120; f++) {
      await store.add(rows(`f${f}`, `src/f${f}.ts`, 2));
      writes.push(store.flush());
      // Staggered, as files finish: some adds start while an earlier one is reconnecting.
      await new Promise((resolve) => setTimeout(resolve, f % 5));
    }
    await Promise.all(writes);
    await store.commit({ ...identity, indexed_commit: 'abc' });
    expect(await store.countRows()).toBe(240);
    const files = await store.storedFiles();
    expect(files.size).toBe(120);
    expect(files.get('f119')).toMatchObject({ path: 'src/f119.ts', chunks: 2 });
    const hits = await store.textSearch('f119', { limit: 5 });
    expect(hits.map((h) => h.path)).toContain('src/f119.ts');
    store.close();
    expect(warnings).toEqual([]);
  });

  it('reopens an index built the same way without touching it', async () => {
    const store = await IndexStore.openForWrite(dir, identity, warn);
    await store.add(rows('a', 'a.ts', 2));
    await store.commit({ ...identity, indexed_commit: 'abc' });
    store.close();
    const again = await IndexStore.openForWrite(dir, identity, warn);
    expect(again.previousMeta?.indexed_commit).toBe('abc');
    expect(await again.countRows()).toBe(2);
    again.close();
  });

  it('keeps the versions a search may still be reading: recent ones, up to a count', async () => {
    const store = await IndexStore.openForWrite(dir, identity, warn, { retention: { graceMs: 60_000, maxVersions: 6, marginMs: 0 } });
    for (let run = 0; run < 6; run++) {
      await store.add(rows(`r${run}`, `r${run}.ts`, 1));
      await store.commit({ ...identity, indexed_commit: `c${run}` });
    }
    const versions = await store.versionCount();
    expect(versions).toBeGreaterThan(2);
    expect(versions).toBeLessThanOrEqual(6 + 1 + 2); // the bound, the newest, and what the last optimize wrote
    store.close();
  });

  it('builds an index for another model beside the old one, which stays in use until the new one commits', async () => {
    const store = await IndexStore.openForWrite(dir, identity, warn);
    await store.add(rows('a', 'a.ts', 2));
    await store.commit({ ...identity, indexed_commit: 'abc' });
    store.close();
    const otherIdentity = { ...identity, model: 'other', dims: 8 };
    const other = await IndexStore.openForWrite(dir, otherIdentity, warn);
    expect(await other.countRows()).toBe(0);
    other.close(); // the run failed before its commit
    expect(warnings.join('\n')).toMatch(/built with test-model \(4 dims\); building one for other .*old one until it is done/);
    expect(await readIndexMeta(dir)).toMatchObject({ model: 'test-model', indexed_commit: 'abc' });
    const old = await IndexStore.openForRead(dir);
    expect(await old?.countRows()).toBe(2);
    old?.close();
  });

  it('resumes an interrupted build for another model, then switches to it at its commit and drops the old one', async () => {
    const store = await IndexStore.openForWrite(dir, identity, warn);
    await store.add(rows('a', 'a.ts', 2));
    await store.commit({ ...identity, indexed_commit: 'abc' });
    store.close();
    const otherIdentity = { ...identity, model: 'other', dims: 8 };
    const first = await IndexStore.openForWrite(dir, otherIdentity, warn);
    await first.add(rows('b', 'b.ts', 3, true, 8));
    await first.flush();
    first.close(); // killed before its commit
    expect((await readIndexMeta(dir))?.model).toBe('test-model');

    const second = await IndexStore.openForWrite(dir, otherIdentity, warn);
    expect([...(await second.storedFiles()).keys()]).toEqual(['b']);
    await second.add(rows('c', 'c.ts', 1, true, 8));
    await second.commit({ ...otherIdentity, indexed_commit: 'def' });
    second.close();

    const meta = await readIndexMeta(dir);
    expect(meta).toMatchObject({ model: 'other', dims: 8, indexed_commit: 'def' });
    expect(meta?.table).toMatch(/^chunks-[0-9a-f]{16}$/);
    expect((await readdir(dir)).sort()).toEqual([`${meta?.table}.lance`, 'meta.json']);
    const now = await IndexStore.openForRead(dir);
    expect(await now?.countRows()).toBe(4);
    now?.close();
  });

  it('rebuilds an unreadable database with one warning', async () => {
    const store = await IndexStore.openForWrite(dir, identity, warn);
    await store.add(rows('a', 'a.ts', 2));
    await store.commit({ ...identity, indexed_commit: 'abc' });
    store.close();
    const tableDir = join(dir, 'chunks.lance');
    await rm(join(tableDir, '_versions'), { recursive: true, force: true });
    const rebuilt = await IndexStore.openForWrite(dir, identity, warn);
    expect(await rebuilt.countRows()).toBe(0);
    rebuilt.close();
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(/unreadable .*rebuilding it from the cache/);
  });

  it('treats garbage metadata as no metadata and starts clean', async () => {
    const store = await IndexStore.openForWrite(dir, identity, warn);
    await store.add(rows('a', 'a.ts', 2));
    await store.commit({ ...identity, indexed_commit: 'abc' });
    store.close();
    await writeFile(join(dir, 'meta.json'), '{"model": 3');
    const fresh = await IndexStore.openForWrite(dir, identity, warn);
    expect(await fresh.countRows()).toBe(0);
    fresh.close();
    expect(JSON.parse(await readFile(join(dir, 'meta.json'), 'utf8')).model).toBe('test-model');
    expect((await readdir(dir)).filter((f) => f.endsWith('.tmp'))).toEqual([]);
  });

  it('a file of more chunks than one write batch is listed once with all of them, and every batch is searchable', async () => {
    const store = await IndexStore.openForWrite(dir, identity, warn);
    await store.add(rows('big', 'src/big.ts', 2500));
    await store.add(rows('small', 'src/small.ts', 2));
    await store.commit({ ...identity, indexed_commit: 'abc' });
    const files = await store.storedFiles();
    expect([...files.values()].map((f) => [f.path, f.chunks])).toEqual([
      ['src/big.ts', 2500],
      ['src/small.ts', 2],
    ]);
    // The full-text index is built after the compaction, over every row of every batch.
    for (const chunk of [0, 1500, 2499]) {
      const hits = await store.textSearch(`src/big.ts chunk ${chunk}`, { limit: 200 });
      expect(hits.some((h) => h.chunkIndex === chunk)).toBe(true);
    }
    store.close();
  });
});
