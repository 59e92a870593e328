/**
 * The index on object storage, below the command line: the same store and meta as a
 * local index against an S3-compatible server on 127.0.0.1, and the writer lease that
 * keeps a second writer out.
 */
import { rmSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { IndexLockedError } from '../../src/errors.js';
import { IndexStore, readIndexMeta } from '../../src/store/index-store.js';
import type { RemoteIndex } from '../../src/store/location.js';
import { connectTo } from '../../src/store/connect.js';
import { acquireRemoteLock, REMOTE_STALE_MS } from '../../src/store/remote-lock.js';
import type { ChunkRow } from '../../src/store/schema.js';
import { fileChunkRows } from '../helpers/chunk-rows.js';
import { track } from '../helpers/cleanup.js';
import { filesUnder } from '../helpers/files.js';
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

  it('is maintained on every run that changes it, however small the change', async () => {
    const location = await remoteIndex();
    // A policy under which a local index would leave this run's one file for later.
    const options = { maintenance: { minRows: 1, maxPendingShare: 1, maxPendingRows: 1000, maxDeferredRuns: 10 } };
    const first = await IndexStore.openForWrite(location, identity, () => undefined, options);
    for (let f = 0; f < 5; f++) await first.add(rows(`f${f}`, `src/file${f}.ts`, 3));
    await first.commit({ ...identity, indexed_commit: 'abc', files: 5, chunks: 15 });
    first.close();
    const second = await IndexStore.openForWrite(location, identity, () => undefined, options);
    await second.add(rows('f5', 'src/file5.ts', 3));
    await second.commit({ ...identity, indexed_commit: 'def', files: 6, chunks: 18 });
    second.close();
    expect((await readIndexMeta(location))?.pending_changes).toBeUndefined();
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
    const outcomes = await Promise.allSettled([1, 2, 3, 4, 5, 6].map(() => acquireRemoteLock(location)));
    const held = outcomes.filter((o) => o.status === 'fulfilled');
    expect(held).toHaveLength(1);
    for (const o of outcomes) if (o.status === 'rejected') expect(o.reason).toBeInstanceOf(IndexLockedError);
    await (held[0] as PromiseFulfilledResult<{ release(): Promise<void> }>).value.release();
  });
});

describe('the writer lease against the races of object storage', () => {
  it('belongs to whoever committed its first version, not to a contender LanceDB retried as an overwrite', async () => {
    const location = await remoteIndex();
    const first = await acquireRemoteLock(location);
    // What a create that lost the conditional write of version 1 leaves: its own row, as version 2.
    const db = await connectTo(location);
    const names = (await db.tableNames()).filter((n) => n.startsWith('gitctx_lock_'));
    expect(names).toHaveLength(1);
    const row = { kind: 'hold', token: 'contender', pid: 4242, host: 'other-runner', started: new Date().toISOString(), at: Date.now() };
    (await db.createTable(names[0]!, [row], { mode: 'overwrite' })).close();
    db.close();
    const refused = await acquireRemoteLock(location).catch((err: unknown) => err);
    expect(refused).toBeInstanceOf(IndexLockedError);
    expect((refused as Error).message).toContain(`pid ${process.pid}`);
    await first.confirm();
    await first.release();
  });

  it('is taken over a lease table a killed run left half-made (rows written, no version committed)', async () => {
    const s3 = track(await startS3Server());
    const location: RemoteIndex = { uri: `s3://${s3.bucket}/half`, storageOptions: s3.storageOptions(), secrets: [] };
    await (await acquireRemoteLock(location, { heartbeatMs: 3_600_000 })).release();
    const killed = await acquireRemoteLock(location, { heartbeatMs: 3_600_000 });
    void killed;
    // Remove the second lease's committed versions: its directory is listed, but holds no table.
    const lease2 = filesUnder(s3.dir).filter((f) => f.includes('gitctx_lock_000000000002.lance') && /_versions|_transactions/.test(f));
    expect(lease2.length).toBeGreaterThan(0);
    for (const file of lease2) rmSync(file);
    const taker = await acquireRemoteLock(location);
    await taker.confirm();
    await expect(acquireRemoteLock(location)).rejects.toBeInstanceOf(IndexLockedError);
    await taker.release();
  });

  it('stops a writer whose lease was taken over before its next write, and the new holder’s index stands', async () => {
    const location = await remoteIndex();
    const lapsed = await acquireRemoteLock(location, { heartbeatMs: 3_600_000 });
    const old = await IndexStore.openForWrite({ ...location, writer: lapsed }, identity, () => undefined);
    await old.add(rows('f0', 'src/zero.ts', 2));
    await old.commit({ ...identity, indexed_commit: 'old', files: 1, chunks: 2 });

    // The lapsed run is stopped past the stale time; another takes the lease over and commits.
    const later = () => Date.now() + REMOTE_STALE_MS + 60_000;
    const taker = await acquireRemoteLock(location, { now: later, onTakeover: () => undefined });
    const current = await IndexStore.openForWrite({ ...location, writer: taker }, identity, () => undefined);
    await current.add(rows('f1', 'src/one.ts', 3));
    await current.commit({ ...identity, indexed_commit: 'new', files: 2, chunks: 5 });
    current.close();

    // The lapsed run wakes up: neither its rows nor its commit reach the index.
    await old.add(rows('f2', 'src/two.ts', 4));
    const stopped = await old.commit({ ...identity, indexed_commit: 'lapsed', files: 3, chunks: 9 }).catch((err: unknown) => err);
    expect(stopped).toBeInstanceOf(IndexLockedError);
    expect((stopped as Error).message).toMatch(/^the writer lock of s3:\/\/\S+ was taken over by pid \d+ on .+ since \S+ while this run was silent/);
    expect((stopped as Error).message).not.toContain('\n');
    await expect(old.removeFiles(['f1'])).rejects.toBeInstanceOf(IndexLockedError);
    old.close();
    await lapsed.release();

    expect(await readIndexMeta(location)).toMatchObject({ indexed_commit: 'new', files: 2, chunks: 5 });
    const reader = await IndexStore.openForRead(location);
    expect(await reader!.countRows()).toBe(5);
    expect([...(await reader!.storedFiles()).keys()].sort()).toEqual(['f0', 'f1']);
    reader!.close();
    await taker.confirm();
    await taker.release();
  });
});
