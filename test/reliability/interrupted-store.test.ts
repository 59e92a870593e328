/**
 * What a run stopped between writing rows and its commit (kill -9, Ctrl+C, a full
 * disk) leaves in the index, made deterministic: the store is driven in-process and
 * simply closed where the run would have died. The next run may have nothing left to
 * add, and must still leave an index that searches exactly like a clean one. (The
 * kill -9 loop found this: its resumed searches ranked differently from a clean run's.)
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { IndexStore } from '../../src/store/index-store.js';
import type { StoredChunk } from '../../src/store/index.js';
import type { ChunkRow } from '../../src/store/schema.js';
import { chunkRow } from '../helpers/chunk-rows.js';

const identity = { model: 'test-model', dims: 4, chunker: 'test-chunker' };
const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

function dbDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'gitctx-stopped-'));
  dirs.push(dir);
  return join(dir, 'db');
}

const text = (i: number) => (i < 20 ? `alpha beta file${i} ${i % 3 === 0 ? 'battery voltage' : 'other words'}` : `battery voltage sensor file${i}`);

function row(i: number): ChunkRow {
  const id = `f${i}`;
  return chunkRow({ file_id: id, vector: new Float32Array([Math.cos(i), Math.sin(i), 0.5, 1]), content: text(i), path: `${id}.ts`, model: identity.model });
}

const warn = (message: string) => {
  throw new Error(`unexpected warning: ${message}`);
};

function ranked(chunks: readonly StoredChunk[]): string[] {
  return chunks.map((c) => `${c.path} ${c.score.toFixed(6)}`);
}

async function searches(store: IndexStore): Promise<string[][]> {
  return [
    ranked(await store.textSearch('battery voltage', { limit: 10 })),
    ranked(await store.textSearch('alpha', { limit: 10 })),
    ranked(await store.vectorSearch(new Float32Array([1, 0, 0.5, 1]), { limit: 10 })),
  ];
}

/** An index of rows `wanted`, built in one clean run. */
async function cleanSearches(wanted: readonly number[]): Promise<string[][]> {
  const store = await IndexStore.openForWrite(dbDir(), identity, warn);
  try {
    for (const i of wanted) await store.add([row(i)]);
    await store.commit({ ...identity, indexed_commit: 'two' });
    return await searches(store);
  } finally {
    store.close();
  }
}

describe('a run stopped between its writes and its commit', () => {
  it.each([
    ['removed and added rows', [0, 3], [20, 21, 22, 23, 24, 25]],
    ['only added rows', [], [20, 21, 22]],
    ['only removed rows', [0, 3, 6, 7], []],
  ])('%s: the next run, with nothing left to add, leaves an index that searches like a clean one', async (_name, removed, added) => {
    const dir = dbDir();
    const first = await IndexStore.openForWrite(dir, identity, warn);
    for (let i = 0; i < 20; i++) await first.add([row(i)]);
    await first.commit({ ...identity, indexed_commit: 'one' });
    first.close();

    const stopped = await IndexStore.openForWrite(dir, identity, warn);
    await stopped.removeFiles(removed.map((i) => `f${i}`));
    for (const i of added) await stopped.add([row(i)]);
    await stopped.flush();
    stopped.close(); // the process died here: no full-text index, no compaction, no meta.json

    const next = await IndexStore.openForWrite(dir, identity, warn);
    expect(next.previousMeta?.indexed_commit).toBe('one');
    await next.commit({ ...identity, indexed_commit: 'two' });
    const resumed = await searches(next);
    next.close();

    const wanted = [...Array.from({ length: 20 }, (_, i) => i), ...added].filter((i) => !removed.includes(i));
    expect(resumed).toEqual(await cleanSearches(wanted));
  });

  it('a finished run reopened with nothing to do writes no new table version', async () => {
    const dir = dbDir();
    const store = await IndexStore.openForWrite(dir, identity, warn);
    for (let i = 0; i < 5; i++) await store.add([row(i)]);
    await store.commit({ ...identity, indexed_commit: 'one' });
    const versions = await store.versionCount();
    store.close();
    const again = await IndexStore.openForWrite(dir, identity, warn);
    await again.commit({ ...identity, indexed_commit: 'one' });
    expect(await again.versionCount()).toBe(versions);
    again.close();
  });
});

describe('equal indexes answer alike', () => {
  /** Rows that all score the same for "battery" and lie at the same angle to the query vector. */
  function tiedRow(i: number): ChunkRow {
    return { ...row(i), content: 'battery voltage', search_text: 'battery voltage', vector: new Float32Array([1, 1, 0, 0]) };
  }

  async function build(order: readonly number[]): Promise<string[][]> {
    const store = await IndexStore.openForWrite(dbDir(), identity, warn);
    try {
      // One add per row: each lands in its own fragment, in this order.
      for (const i of order) {
        await store.add([tiedRow(i)]);
        await store.flush();
      }
      await store.commit({ ...identity, indexed_commit: 'one' });
      return [
        ranked(await store.textSearch('battery', { limit: 3 })),
        ranked(await store.vectorSearch(new Float32Array([1, 0, 0, 0]), { limit: 3 })),
      ];
    } finally {
      store.close();
    }
  }

  it('ties at the candidate limit: the same rows stored in another order give the same candidates', async () => {
    const ids = Array.from({ length: 12 }, (_, i) => i);
    const forward = await build(ids);
    expect(forward[0]).toHaveLength(3);
    expect(await build([...ids].reverse())).toEqual(forward);
    expect(await build([5, 11, 0, 7, 2, 9, 1, 10, 3, 8, 4, 6])).toEqual(forward);
  });
});

