import { chmodSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';

import { afterEach, describe, expect, it } from 'vitest';

import { listTree, openRepository } from '../../src/git/index.js';
import { parseLsTreeRecord } from '../../src/git/tree.js';
import { makeRepo } from '../helpers/git-repo.js';
import type { TestRepo } from '../helpers/git-repo.js';

const repos: TestRepo[] = [];
afterEach(() => {
  for (const repo of repos.splice(0)) repo.cleanup();
});
function repoWith(...args: Parameters<typeof makeRepo>): TestRepo {
  const repo = makeRepo(...args);
  repos.push(repo);
  return repo;
}

const AWKWARD_PATHS = [
  'with space/file name.txt',
  'new\nline.txt',
  'tab\there.md',
  'ünïcödé/日本語.ts',
  '"quoted".txt',
  'back\\slash.txt',
  'emoji 🎉.md',
  'trailing space ',
];

describe('listTree', () => {
  it('keeps every path exactly, whatever characters it holds', async () => {
    const files = Object.fromEntries(AWKWARD_PATHS.map((path, i) => [path, `content ${i}\n`]));
    const repo = repoWith({ files });
    const entries = await listTree(await openRepository(repo.dir));
    expect(entries.map((entry) => entry.path).sort()).toEqual([...AWKWARD_PATHS].sort());
    for (const entry of entries) {
      const expected = `content ${AWKWARD_PATHS.indexOf(entry.path)}\n`;
      expect(entry).toMatchObject({ kind: 'blob', mode: '100644', size: Buffer.byteLength(expected) });
      expect(entry.sha).toBe(repo.git(['hash-object', '--stdin'], { input: expected }).trim());
    }
  });

  it('tells files, executables, symlinks and submodules apart', async () => {
    const sub = repoWith({ files: { 'lib.c': 'int x;\n' } });
    const repo = repoWith({ files: { 'run.sh': '#!/bin/sh\n', 'a.txt': 'a' } });
    chmodSync(join(repo.dir, 'run.sh'), 0o755);
    repo.git(['-c', 'protocol.file.allow=always', 'submodule', 'add', '-q', `file://${sub.dir}`, 'deps/sub']);
    symlinkSync('a.txt', join(repo.dir, 'link'));
    repo.commit('kinds');

    const entries = await listTree(await openRepository(repo.dir));
    const byPath = new Map(entries.map((entry) => [entry.path, entry]));
    expect(byPath.get('a.txt')).toMatchObject({ kind: 'blob', mode: '100644', size: 1 });
    expect(byPath.get('run.sh')).toMatchObject({ kind: 'blob', mode: '100755' });
    expect(byPath.get('link')).toMatchObject({ kind: 'symlink', mode: '120000', size: 5 });
    expect(byPath.get('deps/sub')).toMatchObject({ kind: 'submodule', mode: '160000', size: null, sha: sub.head() });
    expect(byPath.get('.gitmodules')).toMatchObject({ kind: 'blob' });
  });

  it('lists another tree-ish when asked, and SHA-256 ids', async () => {
    const repo = repoWith({ files: { a: 'one' }, objectFormat: 'sha256' });
    const first = repo.head();
    repo.write('b', 'two');
    repo.commit('second');
    const opened = await openRepository(repo.dir);
    expect((await listTree(opened)).map((entry) => entry.path)).toEqual(['a', 'b']);
    const old = await listTree(opened, first);
    expect(old.map((entry) => entry.path)).toEqual(['a']);
    expect(old[0]?.sha).toMatch(/^[0-9a-f]{64}$/);
  });
});

describe('parseLsTreeRecord', () => {
  it.each([
    ['100644 blob 0123456789abcdef0123456789abcdef01234567     123\tsrc/a b.ts', { path: 'src/a b.ts', size: 123, kind: 'blob' }],
    ['100755 blob 0123456789abcdef0123456789abcdef01234567 9999999\tx\ty', { path: 'x\ty', size: 9999999, kind: 'blob' }],
    ['120000 blob 0123456789abcdef0123456789abcdef01234567       3\tl', { path: 'l', size: 3, kind: 'symlink' }],
    ['160000 commit 0123456789abcdef0123456789abcdef01234567       -\tm', { path: 'm', size: null, kind: 'submodule' }],
  ])('parses %j', (record, expected) => {
    expect(parseLsTreeRecord(record)).toMatchObject(expected);
  });

  it('rejects a record without a tab', () => {
    expect(() => parseLsTreeRecord('100644 blob abc 1 path')).toThrow(/unexpected ls-tree output/);
  });
});
