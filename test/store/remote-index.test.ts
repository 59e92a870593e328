/**
 * The index on object storage, below the command line: the same store and meta as a
 * local index against an S3-compatible server on 127.0.0.1, and the writer lease that
 * keeps a second writer out.
 */
import { describe, expect, it } from 'vitest';
import { IndexLockedError } from '../../src/errors.js';
import { IndexStore, readIndexMeta } from '../../src/store/index-store.js';
import type { RemoteIndex } from '../../src/store/location.js';
import { acquireRemoteLock } from '../../src/store/remote-lock.js';
import type { ChunkRow } from '../../src/store/schema.js';
import { fileChunkRows } from '../helpers/chunk-rows.js';
import { track } from '../helpers/cleanup.js';
import { startS3Server } from '../helpers/s3-server.js';

const identity = { model: 'test-model', dims: 4, chunker: 'test-chunker' };

async function remoteIndex(prefix = 'team/repo'): Promise<RemoteIndex> {
  const s3 = track(await startS3Server());
  return { uri: `s3://${s3.bucket}/${prefix}`, storageOptions: s3.storageOptions(), secrets: [] };
}

function rows(fileId: string, path: string, count: number): ChunkRow[] {
  return fileChunkRows(identity.model, fileId, path, count);
}

describe('an index on object storage', () => {
  it('is written, committed with its meta, and searched by vector and by text like a local one', async () => {
    const location = await remoteIndex();
    const warnings: string[] = [];
    const store = await IndexStore.openForWrite(location, identity, (m) => warnings.push(m));
    for (let f = 0; f < 5; f++) await store.add(rows(`f${f}`, `src/file${f}.ts`, 3));
    await store.commit({ ...identity, indexed_commit: 'abc', files: 5, chunks: 15 });
    await store.removeFiles(['f4']);
    await store.commit({ ...identity, indexed_commit: 'def', files: 4, chunks: 12 });
    store.close();
    expect(warnings).toEqual([]);

    expect(await readIndexMeta(location)).toMatchObject({ ...identity, indexed_commit: 'def', files: 4, chunks: 12 });
    const reader = await IndexStore.openForRead(location);
    expect(reader).toBeDefined();
    const vector = await reader!.vectorSearch(Float32Array.from([2, 1, 0, 0]), { limit: 3 });
    expect(vector.map((c) => c.chunkIndex)).toEqual([2, 2, 2]);
    const text = await reader!.textSearch('parseconfig', { limit: 20 });
    expect(text).toHaveLength(12);
    // Searches never write a shared index: no query cache there.
    await reader!.cacheQueryVector('test-model', 'q', Float32Array.from([1, 0, 0, 0]));
    expect(await reader!.cachedQueryVector('test-model', 'q')).toBeUndefined();
    reader!.close();
  });

  it('has no meta and no index before the first run', async () => {
    const location = await remoteIndex('empty');
    expect(await readIndexMeta(location)).toBeUndefined();
    expect(await IndexStore.openForRead(location)).toBeUndefined();
  });
});

describe('the writer lease of a shared index', () => {
  it('keeps a second writer out, naming the holder, until the first lets go', async () => {
    const location = await remoteIndex();
    const first = await acquireRemoteLock(location);
    const refused = await acquireRemoteLock(location).catch((err: unknown) => err);
    expect(refused).toBeInstanceOf(IndexLockedError);
    expect((refused as Error).message).toContain(`pid ${process.pid}`);
    await first.release();
    const second = await acquireRemoteLock(location);
    await second.release();
  });

  it('is taken over, with a warning, once its holder has been silent past the stale time', async () => {
    const location = await remoteIndex();
    const hourAgo = () => Date.now() - 3_600_000;
    await acquireRemoteLock(location, { now: hourAgo, heartbeatMs: 3_600_000 }); // never released: a killed job
    const told: number[] = [];
    const taker = await acquireRemoteLock(location, { onTakeover: (_holder, silentMs) => told.push(silentMs) });
    expect(told).toHaveLength(1);
    expect(told[0]).toBeGreaterThanOrEqual(3_600_000);
    // The taker now holds it: a third writer is refused.
    await expect(acquireRemoteLock(location)).rejects.toBeInstanceOf(IndexLockedError);
    await taker.release();
  });

  it('lets exactly one of several writers starting at once in', async () => {
    const location = await remoteIndex();
    const outcomes = await Promise.allSettled([1, 2, 3, 4].map(() => acquireRemoteLock(location)));
    const held = outcomes.filter((o) => o.status === 'fulfilled');
    expect(held).toHaveLength(1);
    for (const o of outcomes) if (o.status === 'rejected') expect(o.reason).toBeInstanceOf(IndexLockedError);
    await (held[0] as PromiseFulfilledResult<{ release(): Promise<void> }>).value.release();
  });
});
