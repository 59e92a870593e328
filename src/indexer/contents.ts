/**
 * The bytes of the blobs a run adds, one at a time, through git's one blob stream
 * (committed ones through one `git cat-file --batch`, uncommitted ones from the work tree). Reads only.
 */
import { streamBlobs } from '../git/index.js';
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
  const wanted = [...groups].map(([sha, group]) => ({ sha, path: group.find((f) => f.uncommitted)?.path }));
  for await (const { sha, content, path, matchesSha } of streamBlobs(repo, wanted)) {
    if (content === null && path !== undefined) {
      warn(`${path} was deleted while indexing; skipped`);
      continue;
    }
    // A work-tree file hashed a moment ago whose bytes differ now (an edit since, or a clean filter such
    // as eol conversion) is indexed but never cached under that blob id, which names other bytes.
    yield { blobSha: sha, content, cacheable: matchesSha };
  }
}
