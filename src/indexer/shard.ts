/**
 * Embedding split across machines (`gitctx index --shard K/N`): each of N jobs takes
 * the blobs of one residue class of their ids, so the jobs together cover every blob
 * exactly once and no two of them pay for the same one. The id is the blob's git hash,
 * uniformly distributed, so the classes are balanced and a blob falls to the same shard
 * on every machine, for every ref set and on every run, without the jobs agreeing on
 * anything but N. Pure.
 */
import { UsageError } from '../errors.js';
import { printable } from '../printable.js';
import type { RunPlan } from './plan.js';

/** Job `k` of `n` (1 ≤ k ≤ n ≤ MAX_SHARDS). */
export interface Shard {
  k: number;
  n: number;
}

/** More jobs than this splits nothing worth splitting, and a typo such as 1/10000 is caught. */
export const MAX_SHARDS = 1024;

/** Parses `K/N` as the command line gives it; anything else is a usage error (exit 2). */
export function parseShard(text: string): Shard {
  const match = /^(\d{1,4})\/(\d{1,4})$/.exec(text.trim());
  const k = match ? Number(match[1]) : NaN;
  const n = match ? Number(match[2]) : NaN;
  if (!(k >= 1 && n >= 1 && k <= n && n <= MAX_SHARDS)) {
    throw new UsageError(`--shard takes K/N, this job's number K of N jobs, with 1 <= K <= N <= ${MAX_SHARDS}; got ${JSON.stringify(printable(text))}`);
  }
  return { k, n };
}

/**
 * The shard (1..n) a blob falls to: its id's leading 48 bits modulo n. 48 bits are
 * exact in a double, and their remainder modulo n ≤ 1024 is uniform to within 1e-11.
 */
export function shardOf(blobSha: string, n: number): number {
  const lead = Number.parseInt(blobSha.slice(0, 12), 16);
  // Not a hex id (never from git): shard 1, so the blob is still embedded exactly once.
  return Number.isFinite(lead) ? (lead % n) + 1 : 1;
}

/** The run plan with only this shard's blobs left to add; without a shard, the plan as it is. */
export function restrictToShard(plan: RunPlan, shard: Shard | undefined): RunPlan {
  if (shard === undefined) return plan;
  return { ...plan, add: plan.add.filter((file) => shardOf(file.blobSha, shard.n) === shard.k) };
}
