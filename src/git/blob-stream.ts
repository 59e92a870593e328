/**
 * The one way gitctx reads many blobs: committed ones through one long-lived
 * `git cat-file --batch`, uncommitted ones (work-tree files hashed as git would
 * store them, see listWorktreeChanges) from disk.
 */
import { createHash } from 'node:crypto';
import { errnoCode } from '../errors.js';
import { openBlobReader } from './blob-reader.js';
import type { Repository } from './repository.js';
import { readWorktreeFile } from './worktree.js';

/** A blob to read: from the object database, or, with `path`, the work-tree file that was hashed to `sha`. */
export interface WantedBlob {
  sha: string;
  path?: string;
}

export interface StreamedBlob {
  sha: string;
  /**
   * Null for a committed blob missing from the repository, or for a work-tree file
   * deleted since it was hashed (then `path` is set).
   */
  content: Buffer | null;
  /** The work-tree file the bytes came from; undefined for committed blobs. */
  path?: string;
  /**
   * The bytes are the blob `sha` names: always for committed blobs; for a work-tree file,
   * only if it still hashes to `sha` (an edit since, or a clean filter such as eol
   * conversion, gives other bytes, which must never be filed under that id).
   */
  matchesSha: boolean;
}

/**
 * The contents of `wanted`: committed blobs first, in the order asked, through one
 * cat-file process (read ahead within its memory budget), then work-tree files in
 * the order asked, one at a time.
 */
export async function* streamBlobs(repo: Repository, wanted: Iterable<WantedBlob>): AsyncGenerator<StreamedBlob> {
  const committed: string[] = [];
  const onDisk: Array<{ sha: string; path: string }> = [];
  for (const blob of wanted) {
    if (blob.path !== undefined) onDisk.push({ sha: blob.sha, path: blob.path });
    else committed.push(blob.sha);
  }
  if (committed.length > 0) {
    const reader = openBlobReader(repo);
    try {
      for await (const blob of reader.readMany(committed)) yield { sha: blob.sha, content: blob.content, matchesSha: true };
    } finally {
      await reader.close();
    }
  }
  for (const { sha, path } of onDisk) {
    // A work-tree file may be deleted while we read: then its blob is simply not there.
    const content = await readWorktreeFile(repo.root, path).catch((err: unknown) => {
      if (errnoCode(err) === 'ENOENT') return null;
      throw err;
    });
    yield { sha, content, path, matchesSha: content !== null && gitBlobId(content, repo.objectFormat) === sha };
  }
}

/** The id git gives these bytes as a blob (`git hash-object` without filters). */
function gitBlobId(content: Buffer, format: Repository['objectFormat']): string {
  return createHash(format).update(`blob ${content.length}\0`).update(content).digest('hex');
}
