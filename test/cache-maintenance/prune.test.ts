import { existsSync, mkdirSync, readdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { pruneCache } from '../../src/cache-maintenance/index.js';
import { applyPrune, findLiveBlobs, planPrune } from '../../src/cache-maintenance/prune.js';
import { scanCache } from '../../src/cache-maintenance/scan.js';
import type { CacheScan } from '../../src/cache-maintenance/scan.js';
import { openRepository } from '../../src/git/index.js';
import { cloneRepo, makeRepo, makeTempDir } from '../helpers/git-repo.js';
import type { TestRepo } from '../helpers/git-repo.js';
import { track } from '../helpers/cleanup.js';


const A = 'a'.repeat(40);
const B = 'b'.repeat(40);

describe('planPrune', () => {
  it('removes dead blobs in every model directory and temp files, keeps live ones', () => {
    const scan: CacheScan = {
      files: [
        { path: '/c/local-v1/aa/a.zst', modelDir: 'local-v1', model: 'local-v1', sha: A },
        { path: '/c/local-v1/bb/b.zst', modelDir: 'local-v1', model: 'local-v1', sha: B },
        { path: '/c/other/bb/b.zst', modelDir: 'other', model: 'other', sha: B },
      ],
      others: [
        { path: '/c/local-v1/aa/x.tmp', kind: 'temporary', reason: '' },
        { path: '/c/local-v1/aa/README', kind: 'stray', reason: '' },
        { path: '/c/local-v1/aa/link', kind: 'invalid', reason: '' },
      ],
    };
    expect(planPrune(scan, new Set([A]))).toEqual({
      remove: [
        { path: '/c/local-v1/aa/x.tmp', reason: 'temporary' },
        { path: '/c/local-v1/bb/b.zst', reason: 'unreachable', sha: B },
        { path: '/c/other/bb/b.zst', reason: 'unreachable', sha: B },
      ],
      kept: 1,
    });
  });
});

describe('applyPrune', () => {
  it('unlinks files, then the directories it emptied, never the root, never through a link', async () => {
    const temp = track(makeTempDir());
    const root = join(temp.dir, 'embeddings');
    const outside = join(temp.dir, 'outside');
    mkdirSync(outside);
    writeFileSync(join(outside, 'precious'), 'keep me');
    for (const dir of ['m/aa', 'm/bb', 'n/cc']) mkdirSync(join(root, dir), { recursive: true });
    writeFileSync(join(root, 'm/aa/1'), '12345');
    writeFileSync(join(root, 'm/bb/2'), '12');
    writeFileSync(join(root, 'm/bb/3'), '123');
    writeFileSync(join(root, 'n/cc/4'), '1234');
    // Swapped for a link after the scan: skipped, and its target is untouched.
    symlinkSync(join(outside, 'precious'), join(root, 'm/bb/link'));

    const removed = await applyPrune(
      {
        remove: ['m/aa/1', 'm/bb/2', 'n/cc/4', 'm/bb/link', 'm/bb/vanished'].map((p) => ({ path: join(root, p), reason: 'unreachable' as const })),
        kept: 1,
      },
      root,
    );
    expect(removed.map((r) => [r.path.slice(root.length + 1), r.bytes])).toEqual([
      ['m/aa/1', 5],
      ['m/bb/2', 2],
      ['n/cc/4', 4],
    ]);
    expect(existsSync(join(root, 'm/aa'))).toBe(false);
    expect(existsSync(join(root, 'n'))).toBe(false);
    expect(readdirSync(join(root, 'm/bb')).sort()).toEqual(['3', 'link']);
    expect(existsSync(join(outside, 'precious'))).toBe(true);

    // The link is never removed by prune (verify reports it), so its directory stays.
    await applyPrune({ remove: [{ path: join(root, 'm/bb/3'), reason: 'unreachable' }], kept: 0 }, root);
    expect(readdirSync(join(root, 'm/bb'))).toEqual(['link']);
  });

  it('leaves the root in place when it empties it', async () => {
    const root = join(track(makeTempDir()).dir, 'embeddings');
    mkdirSync(join(root, 'm', 'aa'), { recursive: true });
    writeFileSync(join(root, 'm', 'aa', 'f'), 'x');
    await applyPrune({ remove: [{ path: join(root, 'm', 'aa', 'f'), reason: 'unreachable' }], kept: 0 }, root);
    expect(readdirSync(root)).toEqual([]);
  });
});

describe('findLiveBlobs and pruneCache', () => {
  function blob(repo: TestRepo, rev: string): string {
    return repo.git(['rev-parse', rev]).trim();
  }

  it('keeps what the index refs, every worktree HEAD and every work tree can reach', async () => {
    const repo = track(makeRepo({ files: { 'head.txt': 'head\n', 'old.txt': 'old\n' } }));
    const old = blob(repo, 'HEAD:old.txt');
    repo.rm('old.txt');
    repo.commit('drop old');
    const head = blob(repo, 'HEAD:head.txt');

    repo.git(['checkout', '-q', '-b', 'side']);
    repo.write('side.txt', 'side\n');
    repo.commit('side');
    const side = blob(repo, 'HEAD:side.txt');
    repo.git(['checkout', '-q', '-b', 'gone', 'main']);
    repo.write('gone.txt', 'gone\n');
    repo.commit('gone');
    const gone = blob(repo, 'HEAD:gone.txt');
    repo.git(['checkout', '-q', 'main']);
    repo.git(['branch', '-D', 'gone']);

    const wtDir = join(track(makeTempDir()).dir, 'wt');
    repo.git(['worktree', 'add', '-q', wtDir, 'side']);
    writeFileSync(join(wtDir, 'wt-draft.txt'), 'draft in the other worktree\n');
    const wtDraft = repo.git(['hash-object', join(wtDir, 'wt-draft.txt')]).trim();
    repo.write('draft.txt', 'draft here\n');
    const draft = repo.git(['hash-object', 'draft.txt']).trim();
    const never = 'e'.repeat(40);

    const all = new Set([head, old, side, gone, wtDraft, draft, never]);
    const opened = await openRepository(repo.dir);
    const found = await findLiveBlobs(opened, ['HEAD'], all);
    expect([...found.live].sort()).toEqual([head, old, side, wtDraft, draft].sort());
    expect(found.warnings).toEqual([]);

    // With the worktree gone, its HEAD (a branch that is not an index ref) and its drafts no longer count.
    repo.git(['worktree', 'remove', '--force', wtDir]);
    expect([...(await findLiveBlobs(opened, ['HEAD'], all)).live].sort()).toEqual([head, old, draft].sort());
    // Naming the branch as an index ref keeps it again; an unknown ref is refused rather than ignored.
    expect((await findLiveBlobs(opened, ['HEAD', 'side'], all)).live.has(side)).toBe(true);
    await expect(findLiveBlobs(opened, ['HEAD', 'no-such-branch'], all)).rejects.toThrow(/unknown ref: no-such-branch/);
  });

  it('refuses a shallow clone', async () => {
    const source = track(makeRepo({ files: { 'a.txt': 'a\n' } }));
    source.write('a.txt', 'b\n');
    source.commit('b');
    const clone = track(cloneRepo(source, { depth: 1 }));
    await expect(findLiveBlobs(await openRepository(clone.dir), ['HEAD'], new Set([A]))).rejects.toThrow(/shallow/);
  });

  it('a dry run measures without removing; a real run removes and reports the same', async () => {
    const repo = track(makeRepo({ files: { 'keep.txt': 'keep\n' } }));
    const keep = blob(repo, 'HEAD:keep.txt');
    const dir = join(repo.dir, '.gitctx', 'embeddings');
    const place = (sha: string, body: string) => {
      mkdirSync(join(dir, 'local-v1', sha.slice(0, 2)), { recursive: true });
      writeFileSync(join(dir, 'local-v1', sha.slice(0, 2), `${sha}.safetensors.zst`), body);
    };
    place(keep, 'kept');
    place(B, 'twelve bytes');
    writeFileSync(join(dir, 'local-v1', keep.slice(0, 2), `${keep}.safetensors.zst.42-1-ab.tmp`), 'tmp');
    const opened = await openRepository(repo.dir);

    const dry = await pruneCache({ repo: opened, dir, refs: ['HEAD'], dryRun: true });
    expect(dry).toEqual({
      dry_run: true,
      files: 2,
      bytes: 15,
      kept: 1,
      removed: [
        { path: `.gitctx/embeddings/local-v1/${keep.slice(0, 2)}/${keep}.safetensors.zst.42-1-ab.tmp`, bytes: 3, reason: 'temporary' },
        { path: `.gitctx/embeddings/local-v1/bb/${B}.safetensors.zst`, bytes: 12, reason: 'unreachable' },
      ],
      warnings: [],
    });
    expect((await scanCache(dir)).files).toHaveLength(2);

    expect(await pruneCache({ repo: opened, dir, refs: ['HEAD'] })).toEqual({ ...dry, dry_run: false });
    const after = await scanCache(dir);
    expect(after.files.map((f) => f.sha)).toEqual([keep]);
    expect(after.others).toEqual([]);
    expect(existsSync(join(dir, 'local-v1', 'bb'))).toBe(false);
  });
});
