import { copyFileSync, existsSync, mkdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { decodeCacheFile, decodeSafetensors, EmbeddingCache } from '../../src/cache/index.js';
import { zstdContentSize, zstdDecompress } from '../../src/cache/zstd.js';
import { unitVectors } from '../helpers/cache-data.js';
import { runCli, runCliInProcess } from '../helpers/cli.js';
import { makeRepo, makeTempDir } from '../helpers/git-repo.js';
import type { TestRepo } from '../helpers/git-repo.js';
import { track } from '../helpers/cleanup.js';
import { filesUnder } from '../helpers/files.js';


const FILES: Record<string, string> = {
  'src/a.ts': 'export function alpha(x: number): number {\n  return x * 2;\n}\n',
  'src/b.ts': 'export function beta(name: string): string {\n  return `hello ${name}`;\n}\n',
  'src/c.py': 'def gamma(items):\n    return sorted(items)\n',
  'src/d.go': 'package d\n\nfunc Delta(a, b int) int {\n\treturn a - b\n}\n',
  'README.md': '# Fixture\n\nA repository for cache command tests.\n',
};

const blob = (repo: TestRepo, rev: string) => repo.git(['rev-parse', rev]).trim();
const cacheRoot = (repo: TestRepo) => join(repo.dir, '.gitctx', 'embeddings');
const cachePath = (sha: string) => `.gitctx/embeddings/local-v2/${sha.slice(0, 2)}/${sha}.safetensors.zst`;



/**
 * A repository indexed by `gitctx index`, run in-process: indexing is these tests' setup, proved through the
 * binary in test/indexer; every `cache` command under test below runs the binary at least once.
 */
async function indexed(files: Record<string, string> = FILES): Promise<TestRepo> {
  const repo = track(makeRepo({ files }));
  const result = await runCliInProcess(['index', '-q'], { cwd: repo.dir });
  expect(result.code, result.stderr).toBe(0);
  return repo;
}

describe('gitctx cache stats', () => {
  it('reports the files on disk: count, bytes, uncompressed bytes and ratio', async () => {
    const repo = await indexed();
    const files = filesUnder(cacheRoot(repo));
    expect(files).toHaveLength(5);
    const bytes = files.reduce((n, f) => n + statSync(f).size, 0);
    const uncompressed = files.reduce((n, f) => n + zstdContentSize(readFileSync(f)), 0);
    expect(uncompressed).toBe(files.reduce((n, f) => n + zstdDecompress(readFileSync(f)).length, 0));

    const json = await runCli(['cache', 'stats', '--json'], { cwd: repo.dir });
    expect(json.code).toBe(0);
    const ratio = Math.round((bytes / uncompressed) * 10_000) / 10_000;
    expect(JSON.parse(json.stdout)).toEqual({
      groups: [{ model_dir: 'local-v2', model: 'local-v2', encoding: 'f32', files: 5, bytes, uncompressed_bytes: uncompressed, ratio }],
      totals: { files: 5, bytes, uncompressed_bytes: uncompressed, ratio },
    });

    const text = await runCliInProcess(['cache', 'stats'], { cwd: repo.dir });
    expect(text.stdout).toMatch(/^model +encoding +files +bytes +uncompressed +ratio$/m);
    expect(text.stdout).toMatch(new RegExp(`^local-v2 +f32 +5 +.*${(ratio * 100).toFixed(1)}%$`, 'm'));
    expect(text.stdout).toMatch(/^total +5 /m);
    expect(text.stderr).toBe('');
  });

  it('an empty cache is zero, not an error', async () => {
    const repo = track(makeRepo({ files: { 'a.txt': 'a\n' } }));
    const json = await runCli(['cache', 'stats', '--json'], { cwd: repo.dir });
    expect(JSON.parse(json.stdout)).toEqual({ groups: [], totals: { files: 0, bytes: 0, uncompressed_bytes: 0, ratio: null } });
    expect((await runCliInProcess(['cache', 'stats'], { cwd: repo.dir })).stdout).toMatch(/cache is empty/);
  });
});

describe('gitctx cache verify', () => {
  it('passes a clean index, re-embedding included, with exit 0', async () => {
    const repo = await indexed();
    const text = await runCli(['cache', 'verify'], { cwd: repo.dir });
    expect(text.code, text.stderr).toBe(0);
    expect(text.stdout).toBe('verified 5 cache files: 5 ok, 0 bad\n');

    const json = await runCli(['cache', 'verify', '--json', '--reembed', '100'], { cwd: repo.dir });
    expect(json.code, json.stderr).toBe(0);
    const report = JSON.parse(json.stdout);
    expect(report).toMatchObject({ files: 5, ok: 5, bad: [], warnings: [], reembedded: { max_deviation: 0 } });
    expect(report.reembedded.blobs).toHaveLength(5);

    const sampled = await runCliInProcess(['cache', 'verify', '--reembed', '2', '-v'], { cwd: repo.dir });
    expect(sampled.code).toBe(0);
    expect(sampled.stdout.match(/^ok {4}\.gitctx\//gm)).toHaveLength(5);
    expect(sampled.stdout).toMatch(/^re-embedded 2 blobs \(\d+ chunks\), largest deviation \(1 - cosine\) 0:$/m);
  });

  it('names every bad file and exits 1; a poisoned file is caught only by --reembed', async () => {
    const repo = track(makeRepo({ files: { ...FILES, 'src/old.ts': 'export const version = 1;\n' } }));
    const oldBlob = blob(repo, 'HEAD:src/old.ts');
    repo.write('src/old.ts', 'export const version = 2;\n');
    repo.commit('version 2');
    expect((await runCliInProcess(['index', '-q'], { cwd: repo.dir })).code).toBe(0);
    const [a, b, c, d] = ['src/a.ts', 'src/b.ts', 'src/c.py', 'src/d.go'].map((p) => blob(repo, `HEAD:${p}`)) as [string, string, string, string];
    const abs = (sha: string) => join(repo.dir, cachePath(sha));

    // (a) One flipped bit.
    const bytes = readFileSync(abs(a));
    bytes[bytes.length - 20]! ^= 0x01;
    writeFileSync(abs(a), bytes);
    // (b) A file renamed to another blob's name (an older version of a file, in the repository but not cached).
    mkdirSync(dirname(abs(oldBlob)), { recursive: true });
    renameSync(abs(b), abs(oldBlob));
    // (c) A sound file for a blob this repository has never had.
    const raw = decodeSafetensors(zstdDecompress(readFileSync(abs(c))));
    const chunker = raw.metadata['chunker'] as string;
    const cache = new EmbeddingCache({ dir: cacheRoot(repo), model: 'local-v2', dims: 1024, chunker });
    const ghost = '0'.repeat(39) + '1';
    await cache.set(ghost, unitVectors(1, 1024, 5).map((vector) => ({ vector, startLine: 1, endLine: 2, tokens: 7, chunkHash: 'x' })));
    // (d) Poisoned: the right spans, hashes, metadata and checksum, with other unit vectors.
    const honest = decodeCacheFile(readFileSync(abs(d)), { blobSha: d, model: 'local-v2', dims: 1024, chunker });
    if (honest.status !== 'hit') throw new Error('fixture: expected a hit');
    const fake = unitVectors(honest.entry.embeddings.length, 1024, 11);
    await cache.set(
      d,
      honest.entry.embeddings.map((e, i) => ({ ...e, vector: fake[i] as Float32Array })),
      { tokens: honest.entry.tokens, costUsd: honest.entry.costUsd },
    );

    const plain = await runCli(['cache', 'verify', '--json'], { cwd: repo.dir });
    expect(plain.code).toBe(1);
    const report = JSON.parse(plain.stdout);
    expect(report.bad.map((x: { path: string }) => x.path).sort()).toEqual([cachePath(a), cachePath(oldBlob), cachePath(ghost)].sort());
    // HEAD's six files plus the ghost.
    expect(report).toMatchObject({ files: 7, ok: 4 });
    const reasonOf = (sha: string) => report.bad.find((x: { path: string }) => x.path === cachePath(sha))?.reason;
    expect(reasonOf(a)).toMatch(/zstd|checksum/i);
    expect(reasonOf(oldBlob)).toMatch(new RegExp(`file is for blob "${b}", not ${oldBlob}`));
    expect(reasonOf(ghost)).toMatch(/neither in the repository nor an uncommitted file/);
    const stderrLines = plain.stderr.trim().split('\n');
    expect(stderrLines).toHaveLength(1);
    for (const sha of [a, oldBlob, ghost]) expect(plain.stderr).toContain(cachePath(sha));

    const deep = await runCli(['cache', 'verify', '--reembed', '100'], { cwd: repo.dir });
    expect(deep.code).toBe(1);
    for (const sha of [a, oldBlob, ghost, d]) expect(deep.stdout).toMatch(new RegExp(`^bad {3}${cachePath(sha)}: `, 'm'));
    expect(deep.stdout).toMatch(new RegExp(`^bad {3}${cachePath(d)}: re-embedding disagrees with the stored vectors`, 'm'));
    expect(deep.stdout).toMatch(/^verified 7 cache files: 3 ok, 4 bad$/m);
    expect(deep.stderr).toMatch(/^gitctx: .*cache verification failed: 4 of 7 files are bad: /);
  });

  it('a cache file of an uncommitted file indexed with --worktree passes', async () => {
    const repo = await indexed({ 'a.ts': 'export const a = 1;\n' });
    repo.write('draft.ts', 'export const draft = "work in progress";\n');
    expect((await runCliInProcess(['index', '-q', '--worktree'], { cwd: repo.dir })).code).toBe(0);
    const result = await runCli(['cache', 'verify', '--json', '--reembed', '5'], { cwd: repo.dir });
    expect(result.code, result.stdout).toBe(0);
    expect(JSON.parse(result.stdout)).toMatchObject({ files: 2, ok: 2, reembedded: { max_deviation: 0 } });
  });

  it('refuses a --reembed that is not a whole number with exit 2', async () => {
    const repo = track(makeRepo({ files: { 'a.txt': 'a\n' } }));
    const result = await runCli(['cache', 'verify', '--reembed', 'lots'], { cwd: repo.dir });
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/--reembed takes a whole number/);
  });
});

describe('gitctx cache prune', () => {
  it('removes what no index ref, worktree HEAD or work tree reaches; --dry-run removes nothing', async () => {
    const repo = await indexed({ 'head.ts': 'export const head = 1;\n' });
    const head = blob(repo, 'HEAD:head.ts');
    // As a team would: .gitctx (its .gitignore and the cache) committed on main.
    repo.commit('gitctx cache');
    // A blob only ever on a branch that is then deleted.
    // Only the named file is committed: cache files made along the way stay untracked, as they would on a branch switch.
    const commitOnly = (path: string, content: string) => {
      repo.write(path, content);
      repo.git(['add', '--', path]);
      repo.git(['commit', '-q', '-m', `add ${path}`]);
    };
    repo.git(['checkout', '-q', '-b', 'gone']);
    commitOnly('gone.ts', 'export const gone = 1;\n');
    expect((await runCliInProcess(['index', '-q'], { cwd: repo.dir })).code).toBe(0);
    const gone = blob(repo, 'HEAD:gone.ts');
    repo.git(['checkout', '-q', 'main']);
    repo.git(['branch', '-D', 'gone']);
    // A blob only on the branch another worktree has checked out (not an index ref).
    repo.git(['checkout', '-q', '-b', 'side']);
    commitOnly('side.ts', 'export const side = 1;\n');
    expect((await runCliInProcess(['index', '-q'], { cwd: repo.dir })).code).toBe(0);
    const side = blob(repo, 'HEAD:side.ts');
    repo.git(['checkout', '-q', 'main']);
    const wt = join(track(makeTempDir()).dir, 'wt');
    repo.git(['worktree', 'add', '-q', wt, 'side']);
    // Uncommitted files, here (indexed with --worktree) and in the other worktree (its cache file copied in).
    repo.write('draft.ts', 'export const draft = 1;\n');
    expect((await runCliInProcess(['index', '-q', '--worktree'], { cwd: repo.dir })).code).toBe(0);
    const draft = repo.git(['hash-object', 'draft.ts']).trim();
    writeFileSync(join(wt, 'wt-draft.ts'), 'export const elsewhere = 1;\n');
    const wtDraft = repo.git(['hash-object', join(wt, 'wt-draft.ts')]).trim();
    const abs = (sha: string) => join(repo.dir, cachePath(sha));
    mkdirSync(dirname(abs(wtDraft)), { recursive: true });
    copyFileSync(abs(head), abs(wtDraft));
    // Leftover of an interrupted write.
    const temp = `${abs(head)}.999-1-abcd.tmp`;
    writeFileSync(temp, 'partial');
    const everything = [head, gone, side, draft, wtDraft];
    for (const sha of everything) expect(existsSync(abs(sha)), sha).toBe(true);
    const goneBytes = statSync(abs(gone)).size;

    const dry = await runCli(['cache', 'prune', '--dry-run', '--json'], { cwd: repo.dir });
    expect(dry.code, dry.stderr).toBe(0);
    expect(JSON.parse(dry.stdout)).toEqual({
      dry_run: true,
      files: 2,
      bytes: goneBytes + 7,
      kept: 4,
      removed: [
        { path: cachePath(gone), bytes: goneBytes, reason: 'unreachable' },
        { path: `${cachePath(head)}.999-1-abcd.tmp`, bytes: 7, reason: 'temporary' },
      ].sort((x, y) => (x.path < y.path ? -1 : 1)),
      warnings: [],
    });
    for (const sha of everything) expect(existsSync(abs(sha))).toBe(true);
    expect(existsSync(temp)).toBe(true);

    const real = await runCli(['cache', 'prune'], { cwd: repo.dir });
    expect(real.code, real.stderr).toBe(0);
    expect(real.stdout).toContain(`removed  ${cachePath(gone)}  `);
    expect(real.stdout).toMatch(new RegExp(`^pruned 2 files, .* \\(${goneBytes + 7} bytes\\); 4 cache files kept$`, 'm'));
    expect(existsSync(abs(gone))).toBe(false);
    expect(existsSync(temp)).toBe(false);
    for (const sha of [head, side, draft, wtDraft]) expect(existsSync(abs(sha)), sha).toBe(true);
    expect(existsSync(join(repo.dir, '.gitctx', 'index.lock'))).toBe(false);

    // Once the other worktree is gone, what only it reached goes too.
    repo.git(['worktree', 'remove', '--force', wt]);
    const after = await runCliInProcess(['cache', 'prune', '--json'], { cwd: repo.dir });
    expect(JSON.parse(after.stdout)).toMatchObject({ dry_run: false, files: 2, kept: 2 });
    expect(existsSync(abs(side))).toBe(false);
    expect(existsSync(abs(wtDraft))).toBe(false);
  });

  it('refuses an index ref that does not exist rather than prune what it would keep', async () => {
    const repo = await indexed({ 'a.ts': 'export const a = 1;\n' });
    const result = await runCli(['cache', 'prune'], { cwd: repo.dir, env: { GITCTX_INDEX__REFS: '["HEAD","release"]' } });
    expect(result.code, result.stderr).toBe(2);
    expect(result.stderr).toMatch(/unknown ref: release/);
    expect(filesUnder(cacheRoot(repo))).toHaveLength(1);
  });
});

describe('help', () => {
  it('every cache command and clear shows examples', async () => {
    const cwd = track(makeTempDir()).dir;
    for (const args of [['cache'], ['cache', 'stats'], ['cache', 'verify'], ['cache', 'prune'], ['clear']]) {
      // The first through the binary, the rest in-process: commander prints each the same way.
      const result = await (args.length === 1 && args[0] === 'cache' ? runCli : runCliInProcess)([...args, '--help'], { cwd });
      expect(result.code, args.join(' ')).toBe(0);
      expect(result.stdout, args.join(' ')).toMatch(/\nExamples:\n {2}gitctx /);
    }
  });
});
