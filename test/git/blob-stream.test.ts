import { describe, expect, it } from 'vitest';

import { listWorktreeChanges, openRepository, streamBlobs } from '../../src/git/index.js';
import type { StreamedBlob } from '../../src/git/index.js';
import { makeRepo } from '../helpers/git-repo.js';
import type { TestRepo } from '../helpers/git-repo.js';
import { track } from '../helpers/cleanup.js';

const repoWith = (...args: Parameters<typeof makeRepo>): TestRepo => track(makeRepo(...args));

const text = (blob: StreamedBlob) => ({ ...blob, content: blob.content?.toString('utf8') ?? null });

describe('streamBlobs', () => {
  it.each(['sha1', 'sha256'] as const)('reads committed blobs first, then work-tree files, saying which still hash to their id (%s)', async (objectFormat) => {
    const repo = repoWith({ files: { 'a.txt': 'one\n', 'b.txt': 'two\n' }, objectFormat });
    const sha = (path: string) => repo.git(['rev-parse', `HEAD:${path}`]).trim();
    repo.write('new.txt', 'new\n');
    repo.write('edited.txt', 'before\n');
    repo.write('gone.txt', 'gone\n');
    const git = await openRepository(repo.dir);
    const hashed = new Map((await listWorktreeChanges(git)).files.map((f) => [f.path, f.blobSha as string]));
    // After hashing: one file changes, one disappears.
    repo.write('edited.txt', 'after\n');
    repo.rm('gone.txt');
    const missing = objectFormat === 'sha1' ? 'f'.repeat(40) : 'f'.repeat(64);

    const blobs: StreamedBlob[] = [];
    for await (const blob of streamBlobs(git, [
      { sha: hashed.get('new.txt') as string, path: 'new.txt' },
      { sha: sha('b.txt') },
      { sha: hashed.get('edited.txt') as string, path: 'edited.txt' },
      { sha: missing },
      { sha: hashed.get('gone.txt') as string, path: 'gone.txt' },
      { sha: sha('a.txt') },
    ])) {
      blobs.push(blob);
    }
    expect(blobs.map(text)).toEqual([
      { sha: sha('b.txt'), content: 'two\n', matchesSha: true },
      { sha: missing, content: null, matchesSha: true },
      { sha: sha('a.txt'), content: 'one\n', matchesSha: true },
      { sha: hashed.get('new.txt'), content: 'new\n', path: 'new.txt', matchesSha: true },
      { sha: hashed.get('edited.txt'), content: 'after\n', path: 'edited.txt', matchesSha: false },
      { sha: hashed.get('gone.txt'), content: null, path: 'gone.txt', matchesSha: false },
    ]);
  });
});
