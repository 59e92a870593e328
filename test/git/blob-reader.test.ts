import { spawn } from 'node:child_process';
import { setTimeout as sleep } from 'node:timers/promises';

import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';

import {
  GitCommandError,
  GitNotFoundError,
  MemoryBlobSource,
  MissingObjectError,
  listTree,
  openBlobReader,
  openRepository,
  readObjectSizes,
} from '../../src/git/index.js';
import type { BlobContent, CatFileBlobReader, Repository, TreeEntry } from '../../src/git/index.js';
import { childPids, makeRepo } from '../helpers/git-repo.js';
import type { TestRepo } from '../helpers/git-repo.js';

const SMALL_COUNT = 1500;
const MEDIUM_COUNT = 120;
const MEDIUM_SIZE = 100 * 1024;
const BIG_SIZE = 6 * 1024 * 1024 + 123;
const MISSING = 'deadbeef'.repeat(5);

/** Deterministic bytes that differ everywhere, so a misplaced chunk cannot go unnoticed. */
function pattern(size: number, seed: number): Buffer {
  const buffer = Buffer.allocUnsafe(size);
  let x = seed * 2654435761 + 1;
  for (let i = 0; i < size; i += 1) {
    x = (x * 1103515245 + 12345) >>> 0;
    buffer[i] = x >>> 24;
  }
  return buffer;
}

function isRunning(pid: number | undefined): boolean {
  if (pid === undefined) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ESRCH') return false;
    throw err;
  }
}

async function collect(iterable: AsyncIterable<BlobContent>): Promise<BlobContent[]> {
  const out: BlobContent[] = [];
  for await (const item of iterable) out.push(item);
  return out;
}

let fixture: TestRepo;
let repo: Repository;
let entries: Map<string, TreeEntry>;
const contents = new Map<string, Buffer>();

beforeAll(async () => {
  const files: Record<string, Buffer> = {};
  for (let i = 0; i < SMALL_COUNT; i += 1) files[`small/${i}.txt`] = Buffer.from(`small file ${i}\n`);
  for (let i = 0; i < MEDIUM_COUNT; i += 1) files[`medium/${i}.bin`] = pattern(MEDIUM_SIZE, i + 1);
  files['big.bin'] = pattern(BIG_SIZE, 99);
  files['empty.txt'] = Buffer.alloc(0);
  fixture = makeRepo({ files });
  repo = await openRepository(fixture.dir);
  entries = new Map((await listTree(repo)).map((entry) => [entry.path, entry]));
  for (const [path, content] of Object.entries(files)) contents.set(entries.get(path)?.sha ?? '', content);
});

afterAll(() => fixture.cleanup());
// Every test closes what it opened; no git process may outlive it.
afterEach(() => expect(childPids()).toEqual([]));

function shaOf(path: string): string {
  const sha = entries.get(path)?.sha;
  if (sha === undefined) throw new Error(`no entry ${path}`);
  return sha;
}

describe('CatFileBlobReader', () => {
  it('reads a blob of several MB that spans many pipe chunks, and an empty one', async () => {
    const reader = openBlobReader(repo);
    try {
      const big = await reader.read(shaOf('big.bin'));
      expect(big.length).toBe(BIG_SIZE);
      expect(big.equals(pattern(BIG_SIZE, 99))).toBe(true);
      expect((await reader.read(shaOf('empty.txt'))).length).toBe(0);
    } finally {
      await reader.close();
    }
  });

  it('streams 1,500 small blobs in order through one process', async () => {
    const reader = openBlobReader(repo);
    try {
      const shas = Array.from({ length: SMALL_COUNT }, (_, i) => shaOf(`small/${i}.txt`));
      const results = await collect(reader.readMany(shas));
      expect(results.map((r) => r.sha)).toEqual(shas);
      results.forEach((r, i) => expect(r.content?.toString()).toBe(`small file ${i}\n`));
    } finally {
      await reader.close();
    }
  });

  it('answers concurrent read() calls correctly', async () => {
    const reader = openBlobReader(repo);
    try {
      const paths = ['big.bin', 'small/1.txt', 'medium/3.bin', 'empty.txt', 'small/2.txt'];
      const buffers = await Promise.all(paths.map((path) => reader.read(shaOf(path))));
      buffers.forEach((buffer, i) => expect(buffer.equals(contents.get(shaOf(paths[i] ?? '')) ?? Buffer.alloc(1))).toBe(true));
    } finally {
      await reader.close();
    }
  });

  it('reports missing objects: read() rejects, readMany yields null and goes on', async () => {
    const reader = openBlobReader(repo);
    try {
      await expect(reader.read(MISSING)).rejects.toBeInstanceOf(MissingObjectError);
      const results = await collect(reader.readMany([shaOf('small/0.txt'), MISSING, shaOf('small/1.txt')]));
      expect(results.map((r) => r.content?.toString() ?? null)).toEqual(['small file 0\n', null, 'small file 1\n']);
    } finally {
      await reader.close();
    }
  });

  it('refuses anything but a full object id, and non-blob objects, without losing its place', async () => {
    const reader = openBlobReader(repo);
    try {
      await expect(reader.read('HEAD')).rejects.toThrow(/not a full object id/);
      await expect(reader.read(`${shaOf('small/0.txt')}\n${shaOf('small/1.txt')}`)).rejects.toThrow(/not a full object id/);
      await expect(reader.read(fixture.head())).rejects.toThrow(/is a commit, not a blob/);
      expect((await reader.read(shaOf('small/5.txt'))).toString()).toBe('small file 5\n');
    } finally {
      await reader.close();
    }
  });

  it('keeps read-ahead within maxInFlightBytes when the consumer is slow', async () => {
    const reader = openBlobReader(repo);
    const limit = 1024 * 1024;
    try {
      const shas = Array.from({ length: MEDIUM_COUNT }, (_, i) => shaOf(`medium/${i}.bin`));
      let i = 0;
      for await (const { sha, content } of reader.readMany(shas, { maxInFlightBytes: limit, maxInFlightRequests: 1000 })) {
        expect(sha).toBe(shas[i]);
        expect(content?.equals(pattern(MEDIUM_SIZE, i + 1))).toBe(true);
        i += 1;
        // Slow enough that git, unchecked, would deliver everything ahead of us.
        if (i % 10 === 0) await sleep(20);
      }
      expect(i).toBe(MEDIUM_COUNT);
      // The budget may be overshot by the blob finished and the one started in the same chunk.
      expect(reader.stats().peakBufferedBytes).toBeLessThanOrEqual(limit + 2 * MEDIUM_SIZE);
      expect(reader.stats().bufferedBytes).toBe(0);
    } finally {
      await reader.close();
    }
  });

  it('reads a single blob larger than the budget rather than waiting forever', async () => {
    const reader = openBlobReader(repo);
    try {
      const results = await collect(reader.readMany([shaOf('small/0.txt'), shaOf('big.bin'), shaOf('small/1.txt')], { maxInFlightBytes: 1024 }));
      expect(results.map((r) => r.content?.length)).toEqual([13, BIG_SIZE, 13]);
    } finally {
      await reader.close();
    }
  });

  it('stays usable after a readMany consumer stops early', async () => {
    const reader = openBlobReader(repo);
    try {
      const shas = Array.from({ length: 50 }, (_, i) => shaOf(`medium/${i}.bin`));
      let taken = 0;
      for await (const _item of reader.readMany(shas, { maxInFlightBytes: 512 * 1024 })) {
        taken += 1;
        if (taken === 3) break;
      }
      expect((await reader.read(shaOf('small/7.txt'))).toString()).toBe('small file 7\n');
      expect(reader.stats()).toMatchObject({ bufferedBytes: 0, pendingRequests: 0 });
    } finally {
      await reader.close();
    }
  });

  it('ends its process on close, rejects what was pending and what comes after', async () => {
    const reader: CatFileBlobReader = openBlobReader(repo);
    expect(isRunning(reader.pid)).toBe(true);
    const pending = expect(reader.read(shaOf('big.bin'))).rejects.toThrow(/closed/);
    await reader.close();
    await pending;
    await expect(reader.read(shaOf('small/0.txt'))).rejects.toThrow(/closed/);
    expect(isRunning(reader.pid)).toBe(false);
    await reader.close();
  });

  it('fails pending reads with git’s status when the process dies', async () => {
    const reader = openBlobReader(repo);
    try {
      await reader.read(shaOf('small/0.txt'));
      process.kill(reader.pid ?? 0, 'SIGKILL');
      await expect(reader.read(shaOf('big.bin'))).rejects.toBeInstanceOf(GitCommandError);
      await expect(reader.read(shaOf('small/1.txt'))).rejects.toBeInstanceOf(GitCommandError);
    } finally {
      await reader.close();
    }
  });

  it('turns a git that cannot start into GitNotFoundError', async () => {
    const reader = openBlobReader({
      ...repo,
      runner: { spawn: (args, cwd) => spawn('gitctx-no-such-git', [...args], { cwd, stdio: 'pipe' }) },
    });
    await expect(reader.read(shaOf('small/0.txt'))).rejects.toBeInstanceOf(GitNotFoundError);
    await reader.close();
  });

  it('reads SHA-256 repositories', async () => {
    const sha256 = makeRepo({ files: { 'a.txt': 'sha-256 content\n' }, objectFormat: 'sha256' });
    try {
      const opened = await openRepository(sha256.dir);
      const [entry] = await listTree(opened);
      const reader = openBlobReader(opened);
      try {
        expect((await reader.read(entry?.sha ?? '')).toString()).toBe('sha-256 content\n');
      } finally {
        await reader.close();
      }
    } finally {
      sha256.cleanup();
    }
  });
});

describe('readObjectSizes', () => {
  it('sizes many objects in one process and leaves out missing ones', async () => {
    const sizes = await readObjectSizes(repo, [shaOf('big.bin'), shaOf('small/10.txt'), MISSING, shaOf('big.bin')]);
    expect(sizes).toEqual(new Map([[shaOf('big.bin'), BIG_SIZE], [shaOf('small/10.txt'), 14]]));
  });
});

describe('MemoryBlobSource', () => {
  it('serves blobs from a map, null or MissingObjectError for unknown ones, and records requests', async () => {
    const source = new MemoryBlobSource([['a', 'alpha']]);
    expect((await source.read('a')).toString()).toBe('alpha');
    await expect(source.read('b')).rejects.toBeInstanceOf(MissingObjectError);
    expect((await collect(source.readMany(['a', 'b']))).map((r) => r.content?.toString() ?? null)).toEqual(['alpha', null]);
    expect(source.requested).toEqual(['a', 'b', 'a', 'b']);
    await source.close();
    await expect(source.read('a')).rejects.toThrow(/closed/);
  });
});
