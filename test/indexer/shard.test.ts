import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { UsageError } from '../../src/errors.js';
import { MAX_SHARDS, parseShard, restrictToShard, shardOf } from '../../src/indexer/shard.js';
import type { RunPlan, WantedFile } from '../../src/indexer/plan.js';

const sha1 = (text: string) => createHash('sha1').update(text).digest('hex');
const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

describe('parseShard', () => {
  it('reads K/N within 1 <= K <= N <= MAX_SHARDS', () => {
    expect(parseShard('1/1')).toEqual({ k: 1, n: 1 });
    expect(parseShard('2/3')).toEqual({ k: 2, n: 3 });
    expect(parseShard(` ${MAX_SHARDS}/${MAX_SHARDS} `)).toEqual({ k: MAX_SHARDS, n: MAX_SHARDS });
  });

  it('refuses anything else with a usage error that names the rule', () => {
    for (const bad of ['', '3', '0/3', '4/3', '1/0', '-1/3', '1/-3', 'a/b', '1/3/5', '1.5/3', '1/1025', '01/99999', '1 /3', '\u001b[31m1/3']) {
      let caught: unknown;
      try {
        parseShard(bad);
      } catch (err) {
        caught = err;
      }
      expect(caught, bad).toBeInstanceOf(UsageError);
      expect((caught as Error).message).toMatch(/^--shard takes K\/N, .*1 <= K <= N <= 1024; got /);
      // Terminal control characters from the argument never reach the message.
      expect((caught as Error).message).not.toContain('\u001b');
    }
  });
});

describe('shardOf', () => {
  it('is the leading 48 bits of the id modulo N, counted from 1', () => {
    expect(shardOf('000000000000ffff', 3)).toBe(1);
    expect(shardOf('000000000001ffff', 3)).toBe(2);
    expect(shardOf('000000000005', 3)).toBe(3);
    expect(shardOf('ffffffffffff0000', 1)).toBe(1);
    // 0xffffffffffff = 281474976710655 = 3 * 93824992236885
    expect(shardOf('ffffffffffff0000', 3)).toBe(1);
  });

  it('puts every blob in exactly one shard, close to evenly, for sha1 and sha256 ids alike', () => {
    for (const hash of [sha1, sha256]) {
      for (const n of [2, 3, 7, 16]) {
        const counts = new Array<number>(n).fill(0);
        const total = 7000;
        for (let i = 0; i < total; i++) {
          const k = shardOf(hash(`blob ${i}`), n);
          counts[k - 1] = (counts[k - 1] ?? 0) + 1;
        }
        expect(counts.reduce((a, b) => a + b, 0)).toBe(total);
        // Fixed inputs, so this is deterministic; the bound is 5 standard deviations of a fair split.
        const expected = total / n;
        const sd = Math.sqrt(total * (1 / n) * (1 - 1 / n));
        for (const c of counts) expect(Math.abs(c - expected)).toBeLessThan(5 * sd);
      }
    }
  });

  it('sends a malformed id to shard 1 rather than to none', () => {
    expect(shardOf('not-hex', 4)).toBe(1);
  });
});

describe('restrictToShard', () => {
  const file = (path: string): WantedFile => ({
    fileId: sha1(`id ${path}`),
    path,
    blobSha: sha1(path),
    size: 1,
    isHead: true,
    uncommitted: false,
    commit: null,
  });
  const add = Array.from({ length: 60 }, (_, i) => file(`src/f${i}.ts`));
  // Two paths with the same bytes are one blob: they fall to the same shard.
  add.push({ ...file('src/copy.ts'), blobSha: add[0]?.blobSha ?? '' });
  const plan: RunPlan = { add, remove: [], unchanged: 0, wanted: add, knownSkips: {}, kept: [], previousBlobs: new Map(), usualInputs: '' };

  it('leaves the plan alone without a shard', () => {
    expect(restrictToShard(plan, undefined)).toBe(plan);
  });

  it('splits what to add into N disjoint parts whose union is the whole, keeping a blob\'s paths together', () => {
    const parts = [1, 2, 3].map((k) => restrictToShard(plan, { k, n: 3 }).add);
    expect(parts.every((part) => part.length > 0)).toBe(true);
    expect(parts.flat().map((f) => f.path).sort()).toEqual(add.map((f) => f.path).sort());
    const shardsOfFirstBlob = parts.map((part) => part.some((f) => f.blobSha === add[0]?.blobSha));
    expect(shardsOfFirstBlob.filter(Boolean)).toHaveLength(1);
    const withFirst = parts.find((part) => part.some((f) => f.blobSha === add[0]?.blobSha)) ?? [];
    expect(withFirst.map((f) => f.path)).toEqual(expect.arrayContaining(['src/f0.ts', 'src/copy.ts']));
  });
});
