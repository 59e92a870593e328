import { createHash } from 'node:crypto';
import type { CommitInfo } from '../git/index.js';
import type { StoredFile } from '../store/index-store.js';

/** A file version the index should contain after this run. */
export interface WantedFile {
  fileId: string;
  path: string;
  blobSha: string;
  size: number;
  isHead: boolean;
  /** From the working tree, not yet committed (`--worktree`). */
  uncommitted: boolean;
  commit: CommitInfo | null;
}

/** A plain-data refresh plan (Continue's compute/delete), computed from ids alone, then applied. */
export interface IndexPlan {
  add: WantedFile[];
  remove: string[];
  unchanged: number;
}

/** Path and blob together identify a file version; hashed so it is safe in a filter expression. */
export function fileIdOf(path: string, blobSha: string): string {
  return createHash('sha256').update(path).update('\0').update(blobSha).digest('hex').slice(0, 40);
}

function sameVersion(wanted: WantedFile, stored: StoredFile): boolean {
  return (
    stored.isHead === wanted.isHead &&
    stored.uncommitted === wanted.uncommitted &&
    stored.commitSha === (wanted.commit?.sha ?? null)
  );
}

/**
 * What to add and what to remove so the index holds exactly `wanted`. A file version whose
 * metadata changed (no longer HEAD, another introducing commit), or whose filter decision
 * must be made again (`redecide`), is removed and added again: its vectors come back from
 * the cache at no cost, and rows are never updated in place.
 */
export function planIndex(
  wanted: readonly WantedFile[],
  stored: ReadonlyMap<string, StoredFile>,
  force = false,
  redecide: ReadonlySet<string> = new Set(),
): IndexPlan {
  const add: WantedFile[] = [];
  const keep = new Set<string>();
  for (const file of wanted) {
    const existing = stored.get(file.fileId);
    if (!force && existing && sameVersion(file, existing) && !redecide.has(file.fileId)) keep.add(file.fileId);
    else add.push(file);
  }
  const remove = [...stored.keys()].filter((id) => !keep.has(id));
  return { add, remove, unchanged: keep.size };
}
