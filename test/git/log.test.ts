import type { ChildProcessWithoutNullStreams } from 'node:child_process';
import { symlinkSync } from 'node:fs';
import { join } from 'node:path';

import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';

import { UsageError } from '../../src/errors.js';
import {
  NoCommitsError,
  defaultGitRunner,
  lastCommits,
  listHistory,
  listTree,
  openRepository,
} from '../../src/git/index.js';
import type { CommitInfo, GitRunner, HistoryBlob, Repository } from '../../src/git/index.js';
import { LogParser } from '../../src/git/log.js';
import { TEST_AUTHOR, TEST_EPOCH_SECONDS, childPids, cloneRepo, makeRepo } from '../helpers/git-repo.js';
import type { TestRepo } from '../helpers/git-repo.js';

const repos: TestRepo[] = [];
afterEach(() => {
  for (const repo of repos.splice(0)) repo.cleanup();
  // Including the walks stopped early: they are killed and reaped before the call returns.
  expect(childPids()).toEqual([]);
});
function repoWith(...args: Parameters<typeof makeRepo>): TestRepo {
  const repo = makeRepo(...args);
  repos.push(repo);
  return repo;
}

/** Wraps the default runner to see every git process a call starts. */
function countingRunner(): GitRunner & { calls: Array<{ args: readonly string[]; child: ChildProcessWithoutNullStreams }> } {
  const calls: Array<{ args: readonly string[]; child: ChildProcessWithoutNullStreams }> = [];
  return {
    calls,
    spawn(args, cwd) {
      const child = defaultGitRunner.spawn(args, cwd);
      calls.push({ args, child });
      return child;
    },
  };
}

function subjectOf(commit: CommitInfo | undefined): string | undefined {
  return commit?.message;
}

describe('lastCommits', () => {
  it('finds the last commit of each file with one git process', async () => {
    const repo = repoWith({ files: { 'a.txt': 'a1', 'b c.txt': 'b1', 'new\nline': 'n1', 'ü.md': 'u1' } });
    const first = repo.head();
    repo.write('a.txt', 'a2');
    repo.commit('change a', { author: 'Zoë Ünicode' });
    repo.write('ü.md', 'u2');
    repo.commit('change ü\n\nwith a body');
    repo.write('unrelated.txt', 'x');
    const last = repo.commit('add unrelated');

    const runner = countingRunner();
    const opened = await openRepository(repo.dir, { runner });
    runner.calls.length = 0;
    const commits = await lastCommits(opened, ['a.txt', 'b c.txt', 'new\nline', 'ü.md']);
    expect(runner.calls.map((call) => call.args[0])).toEqual(['log']);

    expect(commits.get('b c.txt')).toEqual({
      sha: first,
      author: TEST_AUTHOR.name,
      date: new Date(TEST_EPOCH_SECONDS * 1000).toISOString().replace('.000Z', '+00:00'),
      message: 'initial commit',
    });
    expect(commits.get('new\nline')?.sha).toBe(first);
    expect(commits.get('a.txt')).toMatchObject({ author: 'Zoë Ünicode', message: 'change a' });
    expect(subjectOf(commits.get('ü.md'))).toBe('change ü');
    expect([...commits.values()].some((commit) => commit.sha === last)).toBe(false);
    // One object per commit, shared by its paths.
    expect(commits.get('b c.txt')).toBe(commits.get('new\nline'));
  });

  it('credits a file re-added after a deletion to the re-adding commit, not the deletion', async () => {
    const repo = repoWith({ files: { 'a.txt': 'a', 'keep.txt': 'k' } });
    repo.rm('a.txt');
    repo.commit('delete a');
    repo.write('a.txt', 'a again');
    const readd = repo.commit('re-add a');
    const commits = await lastCommits(await openRepository(repo.dir), ['a.txt']);
    expect(commits.get('a.txt')?.sha).toBe(readd);
  });

  it('credits changes merged from a branch to the branch commit', async () => {
    const repo = repoWith({ files: { 'a.txt': 'a', 'b.txt': 'b' } });
    repo.git(['checkout', '-q', '-b', 'side']);
    repo.write('b.txt', 'b on side');
    const side = repo.commit('side change');
    repo.git(['checkout', '-q', 'main']);
    repo.write('a.txt', 'a on main');
    const main = repo.commit('main change');
    repo.git(['merge', '-q', '--no-edit', 'side'], { env: { GIT_AUTHOR_DATE: '@1800000000 +0000', GIT_COMMITTER_DATE: '@1800000000 +0000' } });
    const commits = await lastCommits(await openRepository(repo.dir), ['a.txt', 'b.txt']);
    expect(commits.get('b.txt')?.sha).toBe(side);
    expect(commits.get('a.txt')?.sha).toBe(main);
  });

  it('leaves out paths it never finds and returns nothing for nothing asked', async () => {
    const repo = repoWith({ files: { 'a.txt': 'a' } });
    const opened = await openRepository(repo.dir);
    expect(await lastCommits(opened, [])).toEqual(new Map());
    expect([...(await lastCommits(opened, ['a.txt', 'nope'])).keys()]).toEqual(['a.txt']);
  });

  it('works in SHA-256 repositories and needs a commit', async () => {
    const repo = repoWith({ files: { 'a.txt': 'a' }, objectFormat: 'sha256' });
    expect((await lastCommits(await openRepository(repo.dir), ['a.txt'])).get('a.txt')?.sha).toMatch(/^[0-9a-f]{64}$/);
    const empty = repoWith();
    await expect(lastCommits(await openRepository(empty.dir), ['a'])).rejects.toBeInstanceOf(NoCommitsError);
  });

  it('credits files older than a shallow clone’s boundary to the boundary commit', async () => {
    const origin = repoWith({ files: { 'old.txt': 'old', 'mid.txt': 'm1' } });
    origin.write('mid.txt', 'm2');
    origin.commit('mid');
    origin.write('new.txt', 'new');
    origin.commit('new');
    const clone = cloneRepo(origin, { depth: 2 });
    repos.push(clone);
    const opened = await openRepository(clone.dir);
    const commits = await lastCommits(opened, ['old.txt', 'mid.txt', 'new.txt']);
    expect(subjectOf(commits.get('new.txt'))).toBe('new');
    expect(subjectOf(commits.get('mid.txt'))).toBe('mid');
    expect(subjectOf(commits.get('old.txt'))).toBe('mid');
    const history = await listHistory(opened);
    expect(history.map((blob) => `${blob.path} ${blob.commit.message}`).sort()).toEqual(
      ['mid.txt mid', 'new.txt new', 'old.txt mid'],
    );
  });

  // 2,000 files: enough that a git process per file would show, a fifth of the fast-import (10,000 files
  // took over a minute to build on a busy 2-core machine, past the hook timeout). One walk is proved by
  // counting git processes, not by the clock.
  describe('on 2,000 files and 20 commits', () => {
    const FILES = 2_000;
    const COMMITS = 20;
    let big: TestRepo;
    let opened: Repository;

    beforeAll(async () => {
      big = makeRepo();
      // fast-import builds the history in one process: writing 10,000 files through the work tree would dominate the test.
      const lines: string[] = [];
      for (let k = 0; k < COMMITS; k += 1) {
        lines.push('commit refs/heads/main', `committer C <c@example.com> ${TEST_EPOCH_SECONDS + k * 60} +0000`);
        const message = `commit ${k}`;
        lines.push(`data ${Buffer.byteLength(message)}`, message);
        for (let j = 0; j < FILES; j += 1) {
          if (k === 0 || j % COMMITS === k) {
            const content = `file ${j} version ${k}\n`;
            lines.push(`M 100644 inline src/dir${j % 100}/file ${j}.ts`, `data ${Buffer.byteLength(content)}`, content);
          }
        }
      }
      big.git(['fast-import', '--quiet'], { input: `${lines.join('\n')}\n` });
      opened = await openRepository(big.dir);
    });
    afterAll(() => big.cleanup());

    it('answers for every file from one walk', async () => {
      const paths = (await listTree(opened)).map((entry) => entry.path);
      expect(paths).toHaveLength(FILES);
      const runner = countingRunner();
      const commits = await lastCommits({ ...opened, runner }, paths);
      expect(commits.size).toBe(FILES);
      expect(runner.calls).toHaveLength(1);
      for (const j of [0, 1, 19, 20, 21, FILES - 1]) {
        expect(subjectOf(commits.get(`src/dir${j % 100}/file ${j}.ts`))).toBe(`commit ${j % COMMITS}`);
      }
    });

    it('stops git as soon as every wanted path is found', async () => {
      const runner = countingRunner();
      const repo: Repository = { ...opened, runner };
      const commits = await lastCommits(repo, ['src/dir19/file 19.ts']);
      expect(subjectOf(commits.get('src/dir19/file 19.ts'))).toBe('commit 19');
      expect(runner.calls).toHaveLength(1);
      const child = runner.calls[0]?.child;
      // Ended before lastCommits returned, without finishing the walk: by our SIGTERM, or,
      // when git writes to the pipe we closed before the signal lands, by SIGPIPE or exit 128.
      expect(child?.exitCode !== null || child.signalCode !== null).toBe(true);
      expect(child?.exitCode).not.toBe(0);
    });
  });
});

describe('listHistory', () => {
  function find(blobs: HistoryBlob[], path: string, content: string, repo: TestRepo): HistoryBlob | undefined {
    const sha = repo.git(['hash-object', '--stdin'], { input: content }).trim();
    return blobs.find((blob) => blob.path === path && blob.blobSha === sha);
  }

  it('gives every (path, blob) reachable from the refs with the commit that introduced it', async () => {
    const repo = repoWith({ files: { 'a.txt': 'a1', 'b.txt': 'b1' } });
    const c1 = repo.head();
    repo.write('a.txt', 'a2');
    const c2 = repo.commit('a2 on main');
    repo.git(['checkout', '-q', '-b', 'feature', c1]);
    repo.write('a.txt', 'a3');
    repo.write('f.txt', 'feature file');
    const c3 = repo.commit('a3 and f on feature');
    repo.git(['checkout', '-q', 'main']);
    repo.rm('b.txt');
    repo.commit('drop b');
    repo.write('b.txt', 'b1');
    repo.write('copy.txt', 'a2');
    const c5 = repo.commit('b back, a copied');
    symlinkSync('a.txt', join(repo.dir, 'link'));
    const c6 = repo.commit('a link');

    const opened = await openRepository(repo.dir);
    const blobs = await listHistory(opened, ['main', 'feature']);
    const summary = blobs.map((blob) => `${blob.path}@${blob.commit.sha}`).sort();
    // b.txt's return with its old content is no new blob; copy.txt is a new path for an old blob.
    expect(summary).toEqual(
      [`a.txt@${c1}`, `b.txt@${c1}`, `a.txt@${c2}`, `a.txt@${c3}`, `f.txt@${c3}`, `copy.txt@${c5}`, `link@${c6}`].sort(),
    );
    expect(find(blobs, 'a.txt', 'a3', repo)?.commit).toMatchObject({ sha: c3, message: 'a3 and f on feature', author: TEST_AUTHOR.name });
    expect(find(blobs, 'b.txt', 'b1', repo)?.commit.sha).toBe(c1);
    expect(find(blobs, 'copy.txt', 'a2', repo)).toMatchObject({ size: 2, kind: 'blob', mode: '100644' });
    expect(blobs.find((blob) => blob.path === 'link')).toMatchObject({ kind: 'symlink', size: 5 });

    const headOnly = await listHistory(opened);
    expect(headOnly.some((blob) => blob.path === 'f.txt')).toBe(false);
    expect(headOnly).toHaveLength(blobs.length - 2);
  });

  it('finds content created by resolving a merge, credited to the merge', async () => {
    const repo = repoWith({ files: { 'a.txt': 'base\n' } });
    repo.git(['checkout', '-q', '-b', 'side']);
    repo.write('a.txt', 'side\n');
    repo.commit('side');
    repo.git(['checkout', '-q', 'main']);
    repo.write('a.txt', 'main\n');
    repo.commit('main');
    expect(() => repo.git(['merge', '-q', 'side'])).toThrow(/conflict/i);
    repo.write('a.txt', 'resolved\n');
    const merge = repo.commit('merge side');
    const blobs = await listHistory(await openRepository(repo.dir));
    expect(find(blobs, 'a.txt', 'resolved\n', repo)?.commit.sha).toBe(merge);
    expect(find(blobs, 'a.txt', 'side\n', repo)?.commit.message).toBe('side');
    expect(blobs).toHaveLength(4);
  });

  it('rejects unknown refs and refs that look like options as usage errors', async () => {
    const repo = repoWith({ files: { 'a.txt': 'a' } });
    const opened = await openRepository(repo.dir);
    await expect(listHistory(opened, ['no-such-branch'])).rejects.toBeInstanceOf(UsageError);
    await expect(listHistory(opened, ['--output=/tmp/gitctx-should-not-exist'])).rejects.toBeInstanceOf(UsageError);
    await expect(listHistory(opened, [])).rejects.toBeInstanceOf(UsageError);
    const empty = repoWith();
    await expect(listHistory(await openRepository(empty.dir))).rejects.toBeInstanceOf(NoCommitsError);
  });
});

describe('LogParser', () => {
  it('gives the same changes whether output arrives whole or one byte at a time', () => {
    const repo = repoWith({ files: { 'x y': '1', 'new\nline': '2', 'ü': '3' } });
    repo.commit('empty one');
    repo.write('x y', 'changed');
    repo.commit('subject\n\nbody');
    const output = Buffer.from(
      repo.git(['log', '-z', '--raw', '--no-abbrev', '--no-renames', '--root', '--format=%x01%H%x00%an%x00%aI%x00%s']),
    );
    const parse = (chunks: Buffer[]): string[] => {
      const seen: string[] = [];
      const parser = new LogParser((change, commit) => seen.push(`${commit.message}|${change.status}|${change.path}`));
      for (const chunk of chunks) parser.push(chunk);
      parser.end();
      return seen;
    };
    const whole = parse([output]);
    expect(whole).toEqual(['subject|M|x y', 'initial commit|A|new\nline', 'initial commit|A|x y', 'initial commit|A|ü']);
    expect(parse([...output].map((byte) => Buffer.from([byte])))).toEqual(whole);
  });
});
