import { existsSync, lstatSync, mkdirSync, readdirSync, readFileSync, renameSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { formatBytes } from '../../src/format/units.js';
import { runCli, runCliInProcess } from '../helpers/cli.js';
import { makeRepo, makeTempDir } from '../helpers/git-repo.js';
import type { TestRepo } from '../helpers/git-repo.js';
import { track } from '../helpers/cleanup.js';


/** Files and bytes under `path`, links counted as themselves: what clear should report. */
function usage(path: string): { files: number; bytes: number } {
  const stat = lstatSync(path);
  if (!stat.isDirectory()) return { files: 1, bytes: stat.size };
  let files = 0;
  let bytes = 0;
  for (const name of readdirSync(path)) {
    const inner = usage(join(path, name));
    files += inner.files;
    bytes += inner.bytes;
  }
  return { files, bytes };
}

const CONFIG = 'model:\n  embedding: local\n';

async function indexed(): Promise<{ repo: TestRepo; gitctx: string }> {
  const repo = track(
    makeRepo({ files: { 'a.ts': 'export const a = 1;\n', 'b.py': 'def b():\n    return 2\n', '.gitctx/config.yml': CONFIG } }),
  );
  const result = await runCliInProcess(['index', '-q'], { cwd: repo.dir });
  expect(result.code, result.stderr).toBe(0);
  return { repo, gitctx: join(repo.dir, '.gitctx') };
}

describe('gitctx clear', () => {
  it('without a terminal and without -y: exit 2, nothing removed', async () => {
    const { repo, gitctx } = await indexed();
    const before = usage(gitctx);
    for (const args of [['clear'], ['clear', '--cache'], ['clear', '--all']]) {
      const result = await runCliInProcess(args, { cwd: repo.dir });
      expect(result.code, args.join(' ')).toBe(2);
      expect(result.stderr).toMatch(/^gitctx: clear would remove \.gitctx\/.* \(\d+ files, .*\).*; pass -y to confirm\n$/);
      expect(result.stdout).toBe('');
    }
    expect(usage(gitctx)).toEqual(before);
  });

  it('-y removes the database only by default, and says how much', async () => {
    const { repo, gitctx } = await indexed();
    const db = usage(join(gitctx, 'db'));
    const cacheBefore = usage(join(gitctx, 'embeddings'));
    const result = await runCli(['clear', '-y'], { cwd: repo.dir });
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toBe(`removed .gitctx/db: ${db.files} files, ${formatBytes(db.bytes)} (${db.bytes} bytes)\n`);
    expect(existsSync(join(gitctx, 'db'))).toBe(false);
    expect(usage(join(gitctx, 'embeddings'))).toEqual(cacheBefore);
    expect(existsSync(join(gitctx, 'index.lock'))).toBe(false);
    // Rebuilt from the cache, for free.
    const again = await runCliInProcess(['index', '--json'], { cwd: repo.dir });
    expect(JSON.parse(again.stdout)).toMatchObject({ embedded_chunks: 0 });

    expect((await runCliInProcess(['clear', '--db', '-y'], { cwd: repo.dir })).stdout).toMatch(/^removed \.gitctx\/db: /);
    const nothing = await runCliInProcess(['clear', '-y'], { cwd: repo.dir });
    expect(nothing.code).toBe(0);
    expect(nothing.stdout).toBe('nothing to remove: .gitctx/db does not exist\n');
  });

  it('--cache removes the embedding cache only, and says how to get committed files back', async () => {
    const { repo, gitctx } = await indexed();
    const cache = usage(join(gitctx, 'embeddings'));
    const result = await runCliInProcess(['clear', '--cache', '-y'], { cwd: repo.dir });
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toBe(`removed .gitctx/embeddings: ${cache.files} files, ${formatBytes(cache.bytes)} (${cache.bytes} bytes)\n`);
    expect(result.stderr).toMatch(/git checkout -- \.gitctx\/embeddings/);
    expect(existsSync(join(gitctx, 'embeddings'))).toBe(false);
    expect(existsSync(join(gitctx, 'db'))).toBe(true);
  });

  it('--all removes both and leftover temp files, keeps config.yml and .gitignore, and totals the bytes', async () => {
    const { repo, gitctx } = await indexed();
    writeFileSync(join(gitctx, 'config.yml.123.tmp'), 'half-written');
    const db = usage(join(gitctx, 'db'));
    const cache = usage(join(gitctx, 'embeddings'));
    const total = db.bytes + cache.bytes + 'half-written'.length;
    const result = await runCliInProcess(['clear', '--all', '-y'], { cwd: repo.dir });
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout.split('\n')).toEqual([
      `removed .gitctx/db: ${db.files} files, ${formatBytes(db.bytes)} (${db.bytes} bytes)`,
      `removed .gitctx/embeddings: ${cache.files} files, ${formatBytes(cache.bytes)} (${cache.bytes} bytes)`,
      'removed .gitctx/config.yml.123.tmp: 1 files, 12 B (12 bytes)',
      'kept .gitctx/config.yml (clear never removes settings)',
      `freed ${formatBytes(total)} (${total} bytes)`,
      '',
    ]);
    expect(readdirSync(gitctx).sort()).toEqual(['.gitignore', 'config.yml']);
    expect(readFileSync(join(gitctx, 'config.yml'), 'utf8')).toBe(CONFIG);
  });

  it('refuses links under .gitctx (exit 2, naming the first) and removes nothing at all', async () => {
    const { repo, gitctx } = await indexed();
    const outside = track(makeTempDir()).dir;
    mkdirSync(join(outside, 'db-data'));
    writeFileSync(join(outside, 'db-data', 'precious'), 'not gitctx data');
    symlinkSync(join(outside, 'db-data'), join(gitctx, 'db', 'linked-dir'));
    symlinkSync(join(outside, 'db-data', 'precious'), join(gitctx, 'db', 'linked-file'));
    const cacheDir = join(gitctx, 'embeddings');
    renameSync(cacheDir, join(outside, 'real-embeddings'));
    symlinkSync(join(outside, 'real-embeddings'), cacheDir);

    const result = await runCliInProcess(['clear', '--all', '-y'], { cwd: repo.dir });
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/^gitctx: \.gitctx\/db\/linked-dir is a symbolic link .*: remove it \(rm \.gitctx\/db\/linked-dir\) and run again\n$/);
    expect(existsSync(join(gitctx, 'db', 'meta.json'))).toBe(true);
    expect(readFileSync(join(outside, 'db-data', 'precious'), 'utf8')).toBe('not gitctx data');
    expect(readdirSync(join(outside, 'real-embeddings'))).toEqual(['local-v2']);
  });

  it('refuses to work through a .gitctx that is a symbolic link', async () => {
    const repo = track(makeRepo({ files: { 'a.txt': 'a\n' } }));
    const outside = track(makeTempDir()).dir;
    mkdirSync(join(outside, 'db'));
    writeFileSync(join(outside, 'db', 'precious'), 'x');
    symlinkSync(outside, join(repo.dir, '.gitctx'));
    const result = await runCliInProcess(['clear', '-y'], { cwd: repo.dir });
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/\.gitctx is a symbolic link \(to .*\); gitctx never reads or writes through one/);
    expect(existsSync(join(outside, 'db', 'precious'))).toBe(true);
  });

  it('has nothing to do without a .gitctx directory, and outside a repository exits 3', async () => {
    const repo = track(makeRepo({ files: { 'a.txt': 'a\n' } }));
    const result = await runCli(['clear', '--all'], { cwd: repo.dir });
    expect(result.code).toBe(0);
    expect(result.stdout).toBe('nothing to remove: there is no .gitctx directory\n');
    expect((await runCli(['clear', '-y'], { cwd: track(makeTempDir()).dir })).code).toBe(3);
  });
});
