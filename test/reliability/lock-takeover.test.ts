/**
 * The index lock when its holder was killed (kill -9 leaves the lock file behind):
 * however many waiters notice the stale lock at once, exactly one of them may hold
 * the lock at any moment. Waiters here are in one process, their steps interleaving
 * at every await, with seeded start offsets so the interleavings differ trial by trial
 * and are the same on every run.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { acquireIndexLock } from '../../src/workspace/lock.js';
import { makeTempDir } from '../helpers/git-repo.js';
import { prng } from '../helpers/cache-data.js';

const temps: { cleanup(): void }[] = [];
afterEach(() => {
  for (const t of temps.splice(0)) t.cleanup();
});

function lockPath(): string {
  const temp = makeTempDir('gitctx-lock-');
  temps.push(temp);
  return join(temp.dir, 'index.lock');
}

/** The pid of a process that has already exited: what a lock left by kill -9 names. */
function deadPid(): number {
  const child = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' });
  return Number(child.stdout);
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('stale index lock takeover', () => {
  const TRIALS = 150;
  const WAITERS = 4;
  const SEED = 0x10c4;

  it(`${WAITERS} waiters on a lock left by a killed run: never two holders at once (${TRIALS} seeded trials)`, async () => {
    const random = prng(SEED);
    const dead = deadPid();
    let worst = 0;
    let acquisitions = 0;
    for (let trial = 0; trial < TRIALS; trial++) {
      const path = lockPath();
      writeFileSync(path, JSON.stringify({ pid: dead, host: hostname(), token: 'killed', started: 'earlier' }));
      let holding = 0;
      const offsets = Array.from({ length: WAITERS }, () => Math.floor(random() * 4));
      await Promise.all(
        offsets.map(async (offset) => {
          await sleep(offset);
          const lock = await acquireIndexLock(path, { pollMs: 5, timeoutMs: 10_000 });
          holding += 1;
          worst = Math.max(worst, holding);
          acquisitions += 1;
          await sleep(2);
          holding -= 1;
          await lock.release();
        }),
      );
      expect(existsSync(path), `trial ${trial}: released`).toBe(false);
      expect(existsSync(`${path}.break.tmp`), `trial ${trial}: no breaker left`).toBe(false);
    }
    console.log(`lock takeover: seed ${SEED}, ${TRIALS} trials x ${WAITERS} waiters, ${acquisitions} acquisitions, most holders at once: ${worst}`);
    expect(acquisitions).toBe(TRIALS * WAITERS);
    expect(worst).toBe(1);
  });

  it.each([
    ['an empty object', '{}'],
    ['null', 'null'],
    ['an array', '[1]'],
    ['a pid that is not a number', '{"pid":"123"}'],
    ['broken JSON', '{"pid": 12'],
    ['nothing', ''],
  ])('takes over a lock file holding %s instead of waiting forever', async (_name, text) => {
    const path = lockPath();
    writeFileSync(path, text);
    const lock = await acquireIndexLock(path, { pollMs: 5, timeoutMs: 2_000 });
    expect(JSON.parse(readFileSync(path, 'utf8')).pid).toBe(process.pid);
    await lock.release();
  });

  it('removes a breaker left by a run killed while it broke a stale lock', async () => {
    const path = lockPath();
    const dead = deadPid();
    writeFileSync(path, JSON.stringify({ pid: dead, host: hostname(), token: 'killed', started: 'earlier' }));
    writeFileSync(`${path}.break.tmp`, JSON.stringify({ pid: dead, host: hostname(), token: 'killed-breaker', started: 'earlier' }));
    const lock = await acquireIndexLock(path, { pollMs: 5, timeoutMs: 2_000 });
    expect(JSON.parse(readFileSync(path, 'utf8')).pid).toBe(process.pid);
    expect(existsSync(`${path}.break.tmp`)).toBe(false);
    await lock.release();
  });
});
