import { mkdirSync } from 'node:fs';
import { join } from 'node:path';

import { afterEach, describe, expect, it } from 'vitest';

import { ExitCode, NotARepositoryError } from '../../src/errors.js';
import { NoCommitsError, defaultGitRunner, listTree, openRepository, requireHead } from '../../src/git/index.js';
import type { GitRunner } from '../../src/git/index.js';
import type { TestRepo } from '../helpers/git-repo.js';
import { cloneRepo, makeRepo, makeTempDir } from '../helpers/git-repo.js';

const cleanups: Array<() => void> = [];
afterEach(() => {
  for (const cleanup of cleanups.splice(0).reverse()) cleanup();
});
function track<T extends { cleanup(): void }>(thing: T): T {
  cleanups.push(() => thing.cleanup());
  return thing;
}

describe('openRepository', () => {
  it('describes an ordinary repository from any directory inside it', async () => {
    const repo = track(makeRepo({ files: { 'src/a.ts': 'a\n' } }));
    const opened = await openRepository(join(repo.dir, 'src'));
    expect(opened).toMatchObject({
      root: repo.dir,
      gitDir: join(repo.dir, '.git'),
      commonDir: join(repo.dir, '.git'),
      objectFormat: 'sha1',
      head: repo.head(),
      isShallow: false,
      branch: 'main',
    });
  });

  it('throws NotARepositoryError (exit 3) with a one-line message outside any repository', async () => {
    const temp = track(makeTempDir());
    const error = await openRepository(temp.dir).catch((err: unknown) => err);
    expect(error).toBeInstanceOf(NotARepositoryError);
    expect((error as NotARepositoryError).exitCode).toBe(ExitCode.notARepository);
    expect((error as Error).message).toContain(temp.dir);
    expect((error as Error).message).not.toContain('\n');
  });

  it('throws NotARepositoryError for a directory that does not exist', async () => {
    const temp = track(makeTempDir());
    await expect(openRepository(join(temp.dir, 'nope'))).rejects.toThrow(/no such directory/);
  });

  it('throws NotARepositoryError inside the .git directory, which has no work tree', async () => {
    const repo = track(makeRepo({ files: { a: 'a' } }));
    await expect(openRepository(join(repo.dir, '.git'))).rejects.toBeInstanceOf(NotARepositoryError);
  });

  it('reports a repository without commits with head null, and a clear usage error when HEAD is needed', async () => {
    const repo = track(makeRepo());
    const opened = await openRepository(repo.dir);
    expect(opened.head).toBeNull();
    expect(opened.branch).toBe('main');
    expect(() => requireHead(opened)).toThrow(NoCommitsError);
    const error = await listTree(opened).catch((err: unknown) => err);
    expect(error).toBeInstanceOf(NoCommitsError);
    expect((error as NoCommitsError).exitCode).toBe(ExitCode.usage);
    expect((error as Error).message).toBe('no commits yet: commit something first, or use --worktree');
  });

  it('asks git once when HEAD has a commit, even with files named like the revisions it asks about', async () => {
    const repo = track(makeRepo({ files: { a: '1', HEAD: 'a file', 'HEAD^{commit}': 'another' } }));
    const spawned: string[][] = [];
    const runner: GitRunner = {
      spawn(args, cwd) {
        spawned.push([...args]);
        return defaultGitRunner.spawn(args, cwd);
      },
    };
    const opened = await openRepository(repo.dir, { runner });
    expect(opened).toMatchObject({ root: repo.dir, head: repo.head(), branch: 'main', isShallow: false, objectFormat: 'sha1' });
    expect(spawned.map((args) => args[0])).toEqual(['rev-parse']);
  });

  it('has no branch on a detached HEAD', async () => {
    const repo = track(makeRepo({ files: { a: '1' } }));
    const first = repo.head();
    repo.write('a', '2');
    repo.commit('second');
    repo.git(['checkout', '-q', '--detach', first]);
    const opened = await openRepository(repo.dir);
    expect(opened.branch).toBeNull();
    expect(opened.head).toBe(first);
  });

  it('tells a linked worktree its own git dir and the shared common dir', async () => {
    const repo = track(makeRepo({ files: { a: '1' } }));
    const wtParent = track(makeTempDir());
    const wt = join(wtParent.dir, 'wt');
    repo.git(['worktree', 'add', '-q', '-b', 'feature', wt]);
    const opened = await openRepository(wt);
    expect(opened.root).toBe(wt);
    expect(opened.gitDir).toBe(join(repo.dir, '.git', 'worktrees', 'wt'));
    expect(opened.commonDir).toBe(join(repo.dir, '.git'));
    expect(opened.branch).toBe('feature');
    expect(opened.head).toBe(repo.head());
  });

  it('reads SHA-256 repositories', async () => {
    const repo = track(makeRepo({ files: { a: '1' }, objectFormat: 'sha256' }));
    const opened = await openRepository(repo.dir);
    expect(opened.objectFormat).toBe('sha256');
    expect(opened.head).toMatch(/^[0-9a-f]{64}$/);
  });

  it('knows a shallow clone is shallow', async () => {
    const origin: TestRepo = track(makeRepo({ files: { a: '1' } }));
    origin.write('a', '2');
    origin.commit('second');
    const clone = track(cloneRepo(origin, { depth: 1 }));
    const opened = await openRepository(clone.dir);
    expect(opened.isShallow).toBe(true);
    expect(opened.head).toBe(origin.head());
  });

  it('runs from a nested directory created after the commit', async () => {
    const repo = track(makeRepo({ files: { a: '1' } }));
    mkdirSync(join(repo.dir, 'deep', 'er'), { recursive: true });
    expect((await openRepository(join(repo.dir, 'deep', 'er'))).root).toBe(repo.dir);
  });
});
