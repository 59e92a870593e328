/**
 * A cloned repository that commits the wrong kind of file where gitctx keeps its own:
 * a directory where a cache file belongs, a file where a directory belongs. Each costs
 * one warning naming the path; the run goes on (a cache miss, or a rebuilt index).
 */
import { cpSync, mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli, runCliInProcess } from '../helpers/cli.js';
import { cloneRepo, makeRepo, makeTempDir, wrapRepo } from '../helpers/git-repo.js';
import type { TestRepo } from '../helpers/git-repo.js';
import { track } from '../helpers/cleanup.js';

const FILES = {
  'src/keys.ts': 'export function maskApiKey(key: string): string {\n  return `${key.slice(0, 3)}...${key.slice(-3)}`;\n}\n',
  'src/retry.ts': 'export async function withRetries(run: () => Promise<void>, attempts = 3) {\n  for (let i = 0; i < attempts; i++) await run();\n}\n',
};

/** A repository indexed once, so its committed cache has real model and fan-out directories. */
async function indexedSource(): Promise<{ source: TestRepo; cacheFile: string }> {
  const source = makeRepo({ files: FILES });
  const indexed = await runCli(['index', '-q'], { cwd: source.dir });
  expect(indexed.code).toBe(0);
  const modelDir = join(source.dir, '.gitctx', 'embeddings', 'local-v2');
  const fan = readdirSync(modelDir)[0]!;
  const file = readdirSync(join(modelDir, fan))[0]!;
  return { source, cacheFile: `.gitctx/embeddings/local-v2/${fan}/${file}` };
}

/**
 * Each test plants its path in its own copy of one indexed source (a directory copy, not another index
 * run: indexing the source is setup, not what these tests look at).
 */
let indexed: { source: TestRepo; cacheFile: string };
beforeAll(async () => {
  indexed = await indexedSource();
});
afterAll(() => indexed.source.cleanup());

function copyOfIndexedSource(): { source: TestRepo; cacheFile: string } {
  const temp = track(makeTempDir('gitctx-wrong-kinds-'));
  const dir = join(temp.dir, 'repo');
  cpSync(indexed.source.dir, dir, { recursive: true, verbatimSymlinks: true });
  return { source: wrapRepo(dir, temp.cleanup), cacheFile: indexed.cacheFile };
}

/** Replaces `path` in the source with a file (or a directory holding one), commits it and clones. */
function commitAndClone(source: TestRepo, path: string, kind: 'file' | 'directory'): TestRepo {
  rmSync(join(source.dir, path), { recursive: true, force: true });
  mkdirSync(dirname(join(source.dir, path)), { recursive: true });
  if (kind === 'file') writeFileSync(join(source.dir, path), 'not what gitctx expects here\n');
  else {
    mkdirSync(join(source.dir, path));
    writeFileSync(join(source.dir, path, 'inside.txt'), 'a directory where a cache file belongs\n');
  }
  // Only the planted path is forced past .gitctx/.gitignore: a committed database would leave index nothing to do.
  source.git(['add', '-A']);
  source.git(['add', '-f', '--', path]);
  source.commit(`commit a ${kind} at ${path}`);
  return track(cloneRepo(source));
}

const warnings = (stderr: string) => stderr.split('\n').filter((line) => line.startsWith('gitctx: warning:'));

describe('the wrong kind of file under .gitctx', () => {
  const cases: { name: string; path: (cacheFile: string) => string; kind: 'file' | 'directory' }[] = [
    { name: 'a directory where a cache file belongs', path: (f) => f, kind: 'directory' },
    { name: 'a file at .gitctx/embeddings', path: () => '.gitctx/embeddings', kind: 'file' },
    { name: 'a file at the model directory', path: () => '.gitctx/embeddings/local-v2', kind: 'file' },
    { name: 'a file at a fan-out directory', path: (f) => dirname(f), kind: 'file' },
  ];
  it.each(cases)('$name: one warning naming it, the run succeeds and search answers', async ({ path, kind }) => {
    const { source, cacheFile } = copyOfIndexedSource();
    const target = path(cacheFile);
    const clone = commitAndClone(source, target, kind);
    const result = await runCli(['index'], { cwd: clone.dir });
    expect(result.code).toBe(0);
    const warned = warnings(result.stderr);
    expect(warned).toHaveLength(1);
    expect(warned[0]).toContain(target);
    // The index run above is the binary; the search after it runs in-process.
    const search = await runCliInProcess(['search', 'mask api key', '--format', 'json'], { cwd: clone.dir });
    expect(search.code).toBe(0);
    const paths = (JSON.parse(search.stdout) as { results: { path: string }[] }).results.map((r) => r.path);
    expect(paths).toContain('src/keys.ts');
  });

  it('a file at .gitctx/db: search exits 8 until index replaces it with a rebuilt index', async () => {
    const { source } = copyOfIndexedSource();
    const clone = commitAndClone(source, '.gitctx/db', 'file');
    const before = await runCli(['search', 'mask api key'], { cwd: clone.dir });
    expect(before.code).toBe(8);
    expect(before.stderr.trimEnd().split('\n')).toHaveLength(1);
    const index = await runCli(['index', '--json'], { cwd: clone.dir });
    expect(index.code).toBe(0);
    expect(warnings(index.stderr)).toEqual([expect.stringContaining('.gitctx/db is not a directory')]);
    // Everything came from the committed cache: nothing was embedded again.
    expect(JSON.parse(index.stdout)).toMatchObject({ embedded_chunks: 0, files: 2 });
    const after = await runCliInProcess(['search', 'mask api key', '--format', 'json'], { cwd: clone.dir });
    expect(after.code).toBe(0);
    expect(JSON.parse(after.stdout).results[0].path).toBe('src/keys.ts');
  });
});
