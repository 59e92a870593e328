/**
 * The bytes of the blobs a run adds, one at a time: committed ones through one
 * `git cat-file --batch` process, uncommitted ones read from the work tree. Reads only.
 */
import { createHash } from 'node:crypto';
import { errnoCode } from '../errors.js';
import { openBlobReader, readWorktreeFile } from '../git/index.js';
import type { Repository } from '../git/index.js';
import type { WantedFile } from './plan.js';

export interface BlobContent {
  blobSha: string;
  /** Null when the repository lacks the blob. */
  content: Buffer | null;
  /** False when the bytes read are not the ones the blob id names: they are indexed but never cached under it. */
  cacheable: boolean;
}

/** Blob contents in plan order: committed ones first, then uncommitted ones (a file deleted since is warned of and left out). */
export async function* blobContents(
  repo: Repository,
  groups: ReadonlyMap<string, readonly WantedFile[]>,
  warn: (message: string) => void,
): AsyncGenerator<BlobContent> {
  const committed: string[] = [];
  const uncommitted: [string, string][] = [];
  for (const [sha, group] of groups) {
    const onDisk = group.find((f) => f.uncommitted);
    if (onDisk) uncommitted.push([sha, onDisk.path]);
    else committed.push(sha);
  }
  if (committed.length > 0) {
    const reader = openBlobReader(repo);
    try {
      for await (const blob of reader.readMany(committed)) yield { blobSha: blob.sha, content: blob.content, cacheable: true };
    } finally {
      await reader.close();
    }
  }
  for (const [sha, path] of uncommitted) {
    const content = await readWorktreeFile(repo.root, path).catch((err: unknown) => {
      if (errnoCode(err) === 'ENOENT') return null;
      throw err;
    });
    if (content === null) {
      warn(`${path} was deleted while indexing; skipped`);
      continue;
    }
    // Hashed a moment ago; if the bytes read now differ (an edit since, or a clean filter such as
    // eol conversion), they are indexed but never cached under that blob id, which names other bytes.
    yield { blobSha: sha, content, cacheable: gitBlobId(content, repo.objectFormat) === sha };
  }
}

/** The id git gives these bytes as a blob (`git hash-object` without filters). */
function gitBlobId(content: Buffer, format: Repository['objectFormat']): string {
  return createHash(format).update(`blob ${content.length}\0`).update(content).digest('hex');
}
