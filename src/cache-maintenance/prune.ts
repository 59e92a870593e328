/**
 * `gitctx cache prune`: removes cache files no one can use any more.
 *
 * A blob is live when git can still reach it: from a commit reachable from one
 * of the index's refs (`index.refs`), from a commit reachable from the HEAD of
 * any worktree of the repository, from any stash entry (refs/stash and its
 * reflog, each with its index and untracked-files commits), or as an uncommitted
 * file of one of those worktrees (what `index --worktree` caches). "Reachable" is git's meaning: the
 * whole history behind each commit, so everything `index --history` could ask for
 * stays. Every other cache file, in every model directory, goes; so do temp files
 * left by interrupted writes.
 *
 * The plan is computed first (`planPrune`, pure) and then applied or printed.
 * The caller holds the index lock, so no index run writes while files go.
 */
import * as fsp from 'node:fs/promises';
import { dirname, relative, sep } from 'node:path';
import { errnoCode, fromFsError, GitctxError, UsageError } from '../errors.js';
import { findReachable, listStashCommits, listWorktreeChanges, listWorktrees, openRepository, resolveCommit } from '../git/index.js';
import type { Repository } from '../git/index.js';
import type { CacheScan } from './scan.js';
import { scanCache } from './scan.js';

export interface LiveBlobs {
  /** The candidates that are live. */
  live: Set<string>;
  /** Commits whose history was walked: the index's refs, every worktree's HEAD and every stash entry. */
  commits: string[];
  /** Worktrees whose uncommitted files were hashed. */
  worktrees: string[];
  /** Worktrees that could not be looked at (their uncommitted files could not be protected). */
  warnings: string[];
}

/**
 * Which of `candidates` (blob ids) are live; see the module comment. Refuses a
 * shallow clone: history beyond its boundary is unknown, so blobs teammates
 * cached from it would look dead.
 */
export async function findLiveBlobs(repo: Repository, refs: readonly string[], candidates: ReadonlySet<string>): Promise<LiveBlobs> {
  if (repo.isShallow) {
    throw new UsageError(
      'this clone is shallow: history beyond it is unknown, so prune cannot tell which cache files are still needed; run `git fetch --unshallow` first',
    );
  }
  const live = new Set<string>();
  const commits = new Set<string>();
  const warnings: string[] = [];
  for (const ref of refs) {
    // An unborn HEAD has no history to keep; any other ref must exist, or we would delete what it protects.
    if (ref === 'HEAD' && repo.head === null) continue;
    commits.add(await resolveCommit(repo, ref));
  }
  // Work set aside is work still wanted: a stash entry's vectors were paid for like any other.
  for (const stash of await listStashCommits(repo)) commits.add(stash);
  const hashed: string[] = [];
  for (const worktree of await listWorktrees(repo)) {
    if (worktree.bare) continue;
    if (worktree.head !== null) commits.add(worktree.head);
    if (worktree.prunable) continue;
    let changes;
    try {
      const other = worktree.path === repo.root ? repo : await openRepository(worktree.path, { runner: repo.runner });
      changes = await listWorktreeChanges(other);
    } catch (err) {
      if (!(err instanceof GitctxError)) throw err;
      // Its committed state is protected through its HEAD; only its uncommitted files are at risk.
      warnings.push(`worktree ${worktree.path}: uncommitted files not looked at (${err.message})`);
      continue;
    }
    hashed.push(worktree.path);
    for (const file of changes.files) if (file.blobSha !== null && candidates.has(file.blobSha)) live.add(file.blobSha);
  }
  if (commits.size > 0 && candidates.size > 0) for (const sha of await findReachable(repo, [...commits], candidates)) live.add(sha);
  return { live, commits: [...commits], worktrees: hashed, warnings };
}

export interface PruneItem {
  path: string;
  reason: 'unreachable' | 'temporary';
  sha?: string;
}

export interface PrunePlan {
  remove: PruneItem[];
  /** Cache files that stay. */
  kept: number;
}

/** What to remove: cache files whose blob is not live, and temp files of interrupted writes. Pure. */
export function planPrune(scan: CacheScan, live: ReadonlySet<string>): PrunePlan {
  const remove: PruneItem[] = [];
  let kept = 0;
  for (const file of scan.files) {
    if (live.has(file.sha)) kept += 1;
    else remove.push({ path: file.path, reason: 'unreachable', sha: file.sha });
  }
  for (const other of scan.others) if (other.kind === 'temporary') remove.push({ path: other.path, reason: 'temporary' });
  remove.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  return { remove, kept };
}

export interface PrunedFile {
  /** Relative to the repository root, `/`-separated. */
  path: string;
  bytes: number;
  reason: PruneItem['reason'];
}

/** The `cache prune --json` document. */
export interface PruneReport {
  dry_run: boolean;
  /** Files removed (or that would be). */
  files: number;
  /** Bytes freed (or that would be). */
  bytes: number;
  /** Cache files kept. */
  kept: number;
  removed: PrunedFile[];
  warnings: string[];
}

/** Size of a regular file, or undefined when it is gone or no longer a regular file (never followed). */
async function regularFileSize(path: string): Promise<number | undefined> {
  try {
    const stat = await fsp.lstat(path);
    return stat.isFile() ? stat.size : undefined;
  } catch (err) {
    if (errnoCode(err) === 'ENOENT' || errnoCode(err) === 'ENOTDIR') return undefined;
    throw fromFsError(err, path);
  }
}

/** Removes a directory if it is empty; anything else leaves it. */
async function removeIfEmpty(path: string): Promise<void> {
  try {
    await fsp.rmdir(path);
  } catch (err) {
    const code = errnoCode(err);
    if (code === 'ENOTEMPTY' || code === 'EEXIST' || code === 'ENOENT' || code === 'ENOTDIR') return;
    throw fromFsError(err, path);
  }
}

/**
 * Removes the planned files (unlink removes a link itself, never its target) and
 * then the fan-out and model directories this left empty, never `root` itself.
 * A file that vanished or stopped being a regular file since the scan is skipped.
 */
export async function applyPrune(plan: PrunePlan, root: string): Promise<Array<PruneItem & { bytes: number }>> {
  const removed: Array<PruneItem & { bytes: number }> = [];
  const emptied = new Set<string>();
  for (const item of plan.remove) {
    const bytes = await regularFileSize(item.path);
    if (bytes === undefined) continue;
    try {
      await fsp.unlink(item.path);
    } catch (err) {
      if (errnoCode(err) === 'ENOENT') continue;
      throw fromFsError(err, `removing ${item.path}`);
    }
    removed.push({ ...item, bytes });
    emptied.add(dirname(item.path));
  }
  // Deepest first, so a model directory is tried after its fan-out directories.
  const dirs = new Set<string>();
  for (const dir of emptied) {
    dirs.add(dir);
    dirs.add(dirname(dir));
  }
  for (const dir of [...dirs].sort((a, b) => b.length - a.length)) {
    if (dir !== root && dir.startsWith(root + sep)) await removeIfEmpty(dir);
  }
  return removed;
}

export interface PruneOptions {
  repo: Repository;
  /** The cache root, normally `<repo>/.gitctx/embeddings`. */
  dir: string;
  /** The index's refs (`index.refs`). */
  refs: readonly string[];
  dryRun?: boolean;
}

/** Plans and (unless a dry run) applies a prune; the caller holds the index lock. */
export async function pruneCache(options: PruneOptions): Promise<PruneReport> {
  const { repo, dir } = options;
  const display = (path: string) => relative(repo.root, path).split(sep).join('/');
  const scan = await scanCache(dir);
  const candidates = new Set(scan.files.map((f) => f.sha));
  const { live, warnings } = await findLiveBlobs(repo, options.refs, candidates);
  const plan = planPrune(scan, live);
  let removed: Array<PruneItem & { bytes: number }>;
  if (options.dryRun) {
    removed = [];
    for (const item of plan.remove) {
      const bytes = await regularFileSize(item.path);
      if (bytes !== undefined) removed.push({ ...item, bytes });
    }
  } else {
    removed = await applyPrune(plan, dir);
  }
  return {
    dry_run: options.dryRun === true,
    files: removed.length,
    bytes: removed.reduce((n, r) => n + r.bytes, 0),
    kept: plan.kept,
    removed: removed.map((r) => ({ path: display(r.path), bytes: r.bytes, reason: r.reason })),
    warnings,
  };
}
