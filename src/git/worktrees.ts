/** The worktrees of a repository (`git worktree list`): the main one and every linked one. */
import type { Repository } from './repository.js';
import { runGit, splitNul } from './runner.js';

/** One entry of `git worktree list --porcelain -z`. */
export interface WorktreeInfo {
  path: string;
  /** The commit checked out; null for a bare repository or an unborn branch. */
  head: string | null;
  bare: boolean;
  /** Git says the worktree's directory is gone (`git worktree prune` would drop it). */
  prunable: boolean;
}

/** Parses `git worktree list --porcelain -z`: NUL-terminated `key value` lines, an empty one between worktrees. */
export function parseWorktreeList(output: Buffer): WorktreeInfo[] {
  const worktrees: WorktreeInfo[] = [];
  let current: WorktreeInfo | undefined;
  for (const line of splitNul(output)) {
    if (line === '') {
      current = undefined;
      continue;
    }
    const space = line.indexOf(' ');
    const key = space === -1 ? line : line.slice(0, space);
    const value = space === -1 ? '' : line.slice(space + 1);
    if (key === 'worktree') {
      current = { path: value, head: null, bare: false, prunable: false };
      worktrees.push(current);
    } else if (current !== undefined) {
      if (key === 'HEAD') current.head = /^0+$/.test(value) ? null : value;
      else if (key === 'bare') current.bare = true;
      else if (key === 'prunable') current.prunable = true;
    }
  }
  return worktrees;
}

export async function listWorktrees(repo: Repository): Promise<WorktreeInfo[]> {
  const { stdout } = await runGit(repo.runner, repo.root, ['worktree', 'list', '--porcelain', '-z']);
  return parseWorktreeList(stdout);
}
