import { mkdirSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';

import { afterEach, describe, expect, it } from 'vitest';

import { UsageError } from '../../src/errors.js';
import { listTree, listWorktreeChanges, openRepository, readWorktreeFile } from '../../src/git/index.js';
import { cQuote, parseStatus } from '../../src/git/worktree.js';
import { makeRepo, makeTempDir, wrapRepo } from '../helpers/git-repo.js';
import type { TestRepo } from '../helpers/git-repo.js';

const cleanups: Array<() => void> = [];
afterEach(() => {
  for (const cleanup of cleanups.splice(0).reverse()) cleanup();
});
function repoWith(...args: Parameters<typeof makeRepo>): TestRepo {
  const repo = makeRepo(...args);
  cleanups.push(() => repo.cleanup());
  return repo;
}

describe('listWorktreeChanges', () => {
  it('lists modified, staged and untracked files, not ignored or deleted ones, hashed as a commit would store them', async () => {
    const repo = repoWith({
      files: { 'a.txt': 'a', 'b.txt': 'b', 'c.txt': 'c', 'same.txt': 'same', '.gitignore': 'ignored/\n*.log\n' },
    });
    repo.write('a.txt', 'a modified');
    repo.write('b.txt', 'b staged');
    repo.git(['add', 'b.txt']);
    repo.rm('c.txt');
    repo.write('new file.ts', 'export const x = 1;\n');
    repo.write('weird\nname.txt', 'newline in name');
    repo.write('"quoted".txt', 'quote');
    repo.write('dir/deep/ü.ts', 'unicode');
    repo.write('ignored/skip.ts', 'ignored');
    repo.write('debug.log', 'ignored too');
    symlinkSync('a.txt', join(repo.dir, 'link'));

    const changes = await listWorktreeChanges(await openRepository(repo.dir));
    expect(changes.deleted).toEqual(['c.txt']);
    expect(changes.files.map((file) => file.path)).toEqual(
      ['"quoted".txt', 'a.txt', 'b.txt', 'dir/deep/ü.ts', 'link', 'new file.ts', 'weird\nname.txt'],
    );
    expect(changes.files.find((file) => file.path === 'link')).toEqual({
      path: 'link', kind: 'symlink', blobSha: null, size: null, uncommitted: true,
    });
    expect(changes.files.find((file) => file.path === 'a.txt')).toMatchObject({ kind: 'blob', size: 10, uncommitted: true });

    // The ids must be the ones the next commit stores, so cached vectors carry over.
    repo.commit('commit everything');
    const committed = new Map((await listTree(await openRepository(repo.dir))).map((entry) => [entry.path, entry.sha]));
    for (const file of changes.files) {
      if (file.kind === 'blob') expect(file.blobSha, file.path).toBe(committed.get(file.path));
    }
    expect(changes.files.find((file) => file.path === 'a.txt')?.blobSha).toBe(
      repo.git(['hash-object', '--', 'a.txt']).trim(),
    );
  });

  it('applies eol conversion as `git add` does, so the id matches the stored blob, not the raw bytes', async () => {
    const repo = repoWith({ files: { 'keep.txt': 'k' } });
    repo.git(['config', 'core.autocrlf', 'input']);
    repo.write('crlf.txt', 'one\r\ntwo\r\n');
    const [file] = (await listWorktreeChanges(await openRepository(repo.dir))).files;
    expect(file?.blobSha).toBe(repo.git(['hash-object', '--stdin'], { input: 'one\ntwo\n' }).trim());
    expect(file?.blobSha).not.toBe(repo.git(['hash-object', '--no-filters', '--stdin'], { input: 'one\r\ntwo\r\n' }).trim());
  });

  it('works before the first commit, when everything is uncommitted', async () => {
    const repo = repoWith();
    repo.write('a.ts', 'a');
    repo.write('staged.ts', 's');
    repo.git(['add', 'staged.ts']);
    const changes = await listWorktreeChanges(await openRepository(repo.dir));
    expect(changes.files.map((file) => file.path)).toEqual(['a.ts', 'staged.ts']);
    expect(changes.deleted).toEqual([]);
  });

  it('lists nothing in a clean tree', async () => {
    const repo = repoWith({ files: { 'a.ts': 'a' } });
    expect(await listWorktreeChanges(await openRepository(repo.dir))).toEqual({ files: [], deleted: [] });
  });

  it('reads a linked worktree relative to its own root', async () => {
    const repo = repoWith({ files: { 'a.ts': 'a' } });
    const parent = makeTempDir();
    cleanups.push(parent.cleanup);
    const wtDir = join(parent.dir, 'wt');
    repo.git(['worktree', 'add', '-q', '-b', 'wt', wtDir]);
    const wt = wrapRepo(wtDir, () => undefined);
    wt.write('a.ts', 'changed in wt');
    wt.write('only-wt.ts', 'x');
    repo.write('only-main.ts', 'y');
    const changes = await listWorktreeChanges(await openRepository(wtDir));
    expect(changes.files.map((file) => file.path)).toEqual(['a.ts', 'only-wt.ts']);
    expect((await readWorktreeFile(wtDir, 'a.ts')).toString()).toBe('changed in wt');
  });

  it('reports a nested repository as a submodule, and leaves changed submodules out', async () => {
    const sub = repoWith({ files: { 'lib.c': 'int x;\n' } });
    const repo = repoWith({ files: { 'a.ts': 'a' } });
    repo.git(['-c', 'protocol.file.allow=always', 'submodule', 'add', '-q', `file://${sub.dir}`, 'deps/sub']);
    repo.commit('add submodule');
    wrapRepo(join(repo.dir, 'deps/sub'), () => undefined).write('lib.c', 'changed inside the submodule');
    mkdirSync(join(repo.dir, 'nested'));
    repo.git(['init', '-q', 'nested']);
    wrapRepo(join(repo.dir, 'nested'), () => undefined).write('n.ts', 'n');
    const changes = await listWorktreeChanges(await openRepository(repo.dir));
    expect(changes.files).toEqual([{ path: 'nested', kind: 'submodule', blobSha: null, size: null, uncommitted: true }]);
  });
});

describe('readWorktreeFile', () => {
  it('reads bytes and refuses paths outside the work tree', async () => {
    const repo = repoWith({ files: { 'a b/c.txt': 'content' } });
    expect((await readWorktreeFile(repo.dir, 'a b/c.txt')).toString()).toBe('content');
    await expect(readWorktreeFile(repo.dir, '../outside')).rejects.toBeInstanceOf(UsageError);
    await expect(readWorktreeFile(repo.dir, 'a b/../../outside')).rejects.toBeInstanceOf(UsageError);
    await expect(readWorktreeFile(repo.dir, '/etc/passwd')).rejects.toBeInstanceOf(UsageError);
    await expect(readWorktreeFile(repo.dir, 'missing')).rejects.toMatchObject({ code: 'ENOENT' });
  });
});

describe('parseStatus and cQuote', () => {
  it('reads porcelain -z records, skipping rename sources and directory slashes', () => {
    const output = Buffer.from(' M a b\0A  new\nline\0R  to\0from\0?? dir/\0D  gone\0');
    expect(parseStatus(output)).toEqual(['a b', 'new\nline', 'to', 'dir', 'gone']);
  });

  it.each([
    ['plain', '"plain"'],
    ['new\nline', '"new\\nline"'],
    ['"q"', '"\\"q\\""'],
    ['back\\slash\ttab\r', '"back\\\\slash\\ttab\\r"'],
    ['ü 日本', '"ü 日本"'],
  ])('quotes %j for hash-object --stdin-paths', (path, quoted) => {
    expect(cQuote(path)).toBe(quoted);
  });
});
