import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm, utimes, writeFile } from 'node:fs/promises';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { acquireIndexLock, LockTimeoutError } from '../../src/workspace/lock.js';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'gitctx-lock-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('index lock', () => {
  it('admits one holder at a time and lets the next in after release', async () => {
    const path = join(dir, 'index.lock');
    const first = await acquireIndexLock(path);
    let waitedFor: number | undefined;
    const second = acquireIndexLock(path, { pollMs: 10, onWait: (h) => (waitedFor = h.pid) });
    await new Promise((r) => setTimeout(r, 50));
    expect(waitedFor).toBe(process.pid);
    await first.release();
    const held = await second;
    expect(JSON.parse(await readFile(path, 'utf8')).pid).toBe(process.pid);
    await held.release();
  });

  it('gives up with a clear error after the timeout', async () => {
    const path = join(dir, 'index.lock');
    const first = await acquireIndexLock(path);
    await expect(acquireIndexLock(path, { timeoutMs: 50, pollMs: 10 })).rejects.toThrow(LockTimeoutError);
    await expect(acquireIndexLock(path, { timeoutMs: 50, pollMs: 10 })).rejects.toThrow(/another gitctx index \(pid \d+/);
    await first.release();
  });

  it('takes over a lock whose holder died (kill -9 leaves it behind)', async () => {
    const path = join(dir, 'index.lock');
    const child = spawn(process.execPath, ['-e', '0']);
    const deadPid = child.pid!;
    await new Promise((r) => child.on('exit', r));
    await writeFile(path, JSON.stringify({ pid: deadPid, host: hostname(), token: 'x', started: 'then' }));
    const held = await acquireIndexLock(path, { timeoutMs: 1000 });
    expect(JSON.parse(await readFile(path, 'utf8')).pid).toBe(process.pid);
    await held.release();
  });

  it('takes over an unreadable lock file', async () => {
    const path = join(dir, 'index.lock');
    await writeFile(path, '{not json');
    const held = await acquireIndexLock(path, { timeoutMs: 1000 });
    await held.release();
    await expect(readFile(path)).rejects.toMatchObject({ code: 'ENOENT' });
  });

  it('release does not remove a lock that another run now holds', async () => {
    const path = join(dir, 'index.lock');
    const held = await acquireIndexLock(path);
    await writeFile(path, JSON.stringify({ pid: process.pid, host: hostname(), token: 'someone-else', started: 'now' }));
    await held.release();
    expect(JSON.parse(await readFile(path, 'utf8')).token).toBe('someone-else');
  });

  it('waits, saying so at once, for a fresh lock from another host, and takes it over once nobody refreshes it', async () => {
    const path = join(dir, 'index.lock');
    await writeFile(path, JSON.stringify({ pid: 1, host: 'build-box-7', token: 'x', started: 'then' }));
    const told: boolean[] = [];
    await expect(
      acquireIndexLock(path, { timeoutMs: 100, pollMs: 10, foreignStaleMs: 60_000, onWait: (_, foreign) => told.push(foreign) }),
    ).rejects.toThrow(LockTimeoutError);
    expect(told).toEqual([true]);
    const minutesAgo = new Date(Date.now() - 120_000);
    await utimes(path, minutesAgo, minutesAgo);
    const held = await acquireIndexLock(path, { timeoutMs: 1000, pollMs: 10, foreignStaleMs: 60_000 });
    expect(JSON.parse(await readFile(path, 'utf8')).pid).toBe(process.pid);
    await held.release();
  });

  it('takes over a committed lock at once, whoever it names', async () => {
    const path = join(dir, 'index.lock');
    await writeFile(path, JSON.stringify({ pid: process.pid, host: hostname(), token: 'committed', started: 'then' }));
    const committed: number[] = [];
    const held = await acquireIndexLock(path, {
      timeoutMs: 100,
      isCommitted: async () => true,
      onCommittedLock: (holder) => committed.push(holder.pid),
    });
    expect(committed).toEqual([process.pid]);
    expect(JSON.parse(await readFile(path, 'utf8')).token).not.toBe('committed');
    await held.release();
  });
});
