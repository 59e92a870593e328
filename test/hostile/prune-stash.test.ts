/**
 * `cache prune` must not throw away vectors someone paid for while the blobs are
 * still in the repository's keeping. A stash holds work set aside: its work-tree
 * commit, its index commit and its untracked-files commit, for every entry of the
 * stash reflog, not only the newest.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { cloneRepo, makeRepo, makeTempDir } from '../helpers/git-repo.js';
import type { TestRepo } from '../helpers/git-repo.js';
import { track } from '../helpers/cleanup.js';

const cacheFile = (repo: TestRepo, sha: string) =>
  join(repo.dir, '.gitctx', 'embeddings', 'local-v2', sha.slice(0, 2), `${sha}.safetensors.zst`);

const version = (n: number) => `export function price(quantity: number): number {\n  return quantity * ${n};\n}\n`;

/** Indexes the work tree and commits the new cache files alone, so a stash does not carry them off. */
async function indexWorktree(repo: TestRepo): Promise<void> {
  const result = await runCli(['index', '-q', '--worktree'], { cwd: repo.dir });
  expect(result.code, result.stderr).toBe(0);
  repo.git(['add', '.gitctx']);
  repo.git(['commit', '-q', '-m', 'gitctx cache', '--', '.gitctx']);
}

describe('cache prune and the stash', () => {
  it('keeps the blobs of every stash entry: work tree, index and untracked files', async () => {
    const origin = track(makeRepo({ files: { 'src/price.ts': version(1) } }));
    const repo = track(cloneRepo(origin));
    const hash = (content: string) => repo.git(['hash-object', '--stdin'], { input: content }).trim();
    // Committed so that prune has the cache to look at; stashes are set aside on top.
    expect((await runCli(['index', '-q'], { cwd: repo.dir })).code).toBe(0);
    repo.commit('gitctx cache');

    // The older entry: a version staged (only the stash's index commit holds it), a later
    // edit on top (its work-tree commit) and an untracked file (its untracked-files commit).
    repo.write('src/price.ts', version(2));
    await indexWorktree(repo);
    repo.git(['add', 'src/price.ts']);
    repo.write('src/price.ts', version(3));
    repo.write('src/draft.ts', 'export const draft = "set aside, not lost";\n');
    await indexWorktree(repo);
    repo.git(['stash', 'push', '-q', '--include-untracked', '-m', 'older']);
    // The newer entry.
    repo.write('src/price.ts', version(4));
    await indexWorktree(repo);
    repo.git(['stash', 'push', '-q', '-m', 'newer']);
    expect(repo.git(['stash', 'list']).trim().split('\n')).toHaveLength(2);

    const stashed = {
      staged: hash(version(2)),
      edited: hash(version(3)),
      untracked: hash('export const draft = "set aside, not lost";\n'),
      newer: hash(version(4)),
    };
    for (const sha of Object.values(stashed)) expect(existsSync(cacheFile(repo, sha)), sha).toBe(true);
    // A blob nothing holds any more, so the run has something to remove.
    repo.write('src/scratch.ts', 'export const scratch = 1;\n');
    await indexWorktree(repo);
    const scratch = hash('export const scratch = 1;\n');
    repo.rm('src/scratch.ts');

    const result = await runCli(['cache', 'prune', '--json'], { cwd: repo.dir });
    expect(result.code, result.stderr).toBe(0);
    const report = JSON.parse(result.stdout) as { files: number; removed: { path: string }[] };
    expect(report.removed.map((r) => r.path)).toEqual([`.gitctx/embeddings/local-v2/${scratch.slice(0, 2)}/${scratch}.safetensors.zst`]);
    for (const [what, sha] of Object.entries(stashed)) expect(existsSync(cacheFile(repo, sha)), what).toBe(true);
    expect(existsSync(cacheFile(repo, hash(version(1))))).toBe(true);

    // Once the stash is dropped, its blobs are fair game.
    repo.git(['stash', 'clear']);
    const after = await runCli(['cache', 'prune', '--json'], { cwd: repo.dir });
    expect(after.code, after.stderr).toBe(0);
    for (const [what, sha] of Object.entries(stashed)) expect(existsSync(cacheFile(repo, sha)), what).toBe(false);
  });

  it('help says exactly what prune keeps', async () => {
    const cwd = track(makeTempDir()).dir;
    const result = await runCli(['cache', 'prune', '--help'], { cwd });
    expect(result.code).toBe(0);
    const help = result.stdout.replace(/\s+/g, ' ');
    expect(help).toMatch(/Kept:.*index\.refs/);
    expect(help).toMatch(/HEAD of every worktree/);
    expect(help).toMatch(/uncommitted files of every worktree/);
    expect(help).toMatch(/every stash entry \(refs\/stash and its reflog\), with its index and untracked files/);
  });
});
