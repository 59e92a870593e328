/**
 * A disk that fills while `gitctx index` writes: exit 7 with one "disk full" line,
 * the cache as it was before (byte for byte, every file decodable, no partial file),
 * and a normal run once space is back.
 *
 * Where the machine allows it (root, Linux), `.gitctx` is a small tmpfs and a ballast
 * file leaves exactly the free space each case needs: too little for the next cache
 * file, then enough for the cache but not for LanceDB's rows (LanceDB is native code
 * and reports a full disk as an error message, not an errno). Elsewhere the cache's
 * injectable file system fails the write with ENOSPC in-process, and the test name says so.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, rmSync, statfsSync, writeFileSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EmbeddingCache } from '../../src/cache/index.js';
import { DiskFullError, exitCodeOf } from '../../src/errors.js';
import { makeEmbeddings, prng } from '../helpers/cache-data.js';
import { startFakeOpenAI } from '../helpers/fake-openai-server.js';
import type { FakeOpenAI } from '../helpers/fake-openai-server.js';
import { makeRepo } from '../helpers/git-repo.js';
import type { TestRepo } from '../helpers/git-repo.js';
import {
  commitSources,
  filesContaining,
  gitctxDir,
  inspectCache,
  moduleSource,
  readMeta,
  rowFingerprints,
  RunRecorder,
  SECRET_KEY,
  snapshot,
  tableRows,
  walkFiles,
} from './support.js';

const TMPFS_SIZE = '4m';

function mount(dir: string, size: string): void {
  execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${size},mode=0755`, 'tmpfs', dir], { stdio: 'pipe' });
}

function unmount(dir: string): void {
  try {
    execFileSync('umount', [dir], { stdio: 'pipe' });
  } catch (err) {
    // Busy (a process still has a file open there): detach it now, the kernel frees it when they close.
    execFileSync('umount', ['-l', dir], { stdio: 'pipe' });
    console.warn(`umount ${dir} needed -l: ${String(err).split('\n')[0]}`);
  }
}

/** Whether this machine lets the test mount a tmpfs (root on Linux; not in most containers without CAP_SYS_ADMIN). */
function canMountTmpfs(): boolean {
  if (process.platform !== 'linux' || process.getuid?.() !== 0) return false;
  const probe = mkdtempSync(join(tmpdir(), 'gitctx-tmpfs-probe-'));
  try {
    mount(probe, '64k');
  } catch (err) {
    console.warn(`cannot mount a tmpfs here (${String(err).split('\n')[0]}): disk full is simulated in-process`);
    rmSync(probe, { recursive: true, force: true });
    return false;
  }
  unmount(probe);
  rmSync(probe, { recursive: true, force: true });
  return true;
}

const TMPFS = canMountTmpfs();

/** Fills the file system holding `dir` until `leave` bytes are free. */
function leaveFree(dir: string, leave: number): void {
  const fs = statfsSync(dir);
  const free = fs.bavail * fs.bsize;
  expect(free, 'room for the ballast').toBeGreaterThan(leave);
  writeFileSync(join(dir, 'ballast.tmp'), Buffer.alloc(free - leave));
}

function dropBallast(dir: string): void {
  rmSync(join(dir, 'ballast.tmp'), { force: true });
}

describe.runIf(TMPFS)(`disk full on a real ${TMPFS_SIZE} tmpfs under .gitctx`, () => {
  let server: FakeOpenAI;
  let repo: TestRepo;
  let mounted = false;
  const recorder = new RunRecorder();
  const random = prng(0xd15c);
  const env = () => ({ GITCTX_MODEL__EMBEDDING: 'text-embedding-3-large', OPENAI_BASE_URL: server.baseUrl, OPENAI_API_KEY: SECRET_KEY });
  const key = () => {
    const meta = readMeta(repo)!;
    return { model: meta.model, dims: meta.dims, chunker: meta.chunker };
  };
  let next = 0;
  const addFiles = (count: number) => {
    for (let i = 0; i < count; i++, next++) repo.write(`src/part${next}.ts`, moduleSource(random, `part${next}`, 2));
    commitSources(repo, `add ${count} files`);
  };
  const index = () => recorder.run(['index', '--json'], { cwd: repo.dir, env: env() });

  beforeAll(async () => {
    server = await startFakeOpenAI({ apiKey: SECRET_KEY });
    repo = makeRepo();
    mkdirSync(gitctxDir(repo));
    mount(gitctxDir(repo), TMPFS_SIZE);
    mounted = true;
    addFiles(6);
    const first = await index();
    expect(first.code, first.stderr).toBe(0);
  });
  afterAll(async () => {
    if (mounted) unmount(gitctxDir(repo));
    repo?.cleanup();
    await server?.close();
  });

  it('a cache write that hits ENOSPC: exit 7, one line, previous cache byte-identical, no partial file, index untouched', async () => {
    const cacheBefore = snapshot(join(gitctxDir(repo), 'embeddings'));
    const rowsBefore = rowFingerprints(await tableRows(repo));
    addFiles(4);
    // Less than one 3072-dimension cache file (about 12 KB), after the lock file's page.
    leaveFree(gitctxDir(repo), 8 * 1024);
    let result;
    try {
      result = await index();
    } finally {
      dropBallast(gitctxDir(repo));
    }
    expect(result.code, result.stderr).toBe(7);
    expect(result.stderr.trimEnd().split('\n')).toHaveLength(1);
    expect(result.stderr).toMatch(/^gitctx: disk full: writing cache file .+\.safetensors\.zst\n$/);
    expect(result.stdout).toBe('');

    const cacheAfter = snapshot(join(gitctxDir(repo), 'embeddings'));
    for (const [path, bytes] of cacheBefore) expect(cacheAfter.get(path)?.equals(bytes), path).toBe(true);
    expect([...cacheAfter.keys()].filter((p) => p.endsWith('.tmp'))).toEqual([]);
    const inspected = await inspectCache(repo, key());
    expect(inspected.broken).toEqual([]);
    expect(inspected.temps).toEqual([]);
    expect(rowFingerprints(await tableRows(repo))).toEqual(rowsBefore);
    expect(readdirSync(gitctxDir(repo)).filter((name) => name.startsWith('index.lock'))).toEqual([]);
    console.log(`disk full (tmpfs, cache write): exit 7, "${result.stderr.trim()}"; ${cacheBefore.size} cache files unchanged`);
  });

  it('a LanceDB write that hits ENOSPC: exit 7, one line, cache byte-identical; with space back the index is rebuilt as before', async () => {
    const ok = await index();
    expect(ok.code, ok.stderr).toBe(0);
    const rowsBefore = rowFingerprints(await tableRows(repo));
    const cacheBefore = snapshot(join(gitctxDir(repo), 'embeddings'));
    // Rebuilding from the cache writes nothing to it: the only big writes are LanceDB's rows.
    rmSync(join(gitctxDir(repo), 'db'), { recursive: true, force: true });
    leaveFree(gitctxDir(repo), 64 * 1024);
    let result;
    try {
      result = await index();
    } finally {
      dropBallast(gitctxDir(repo));
    }
    expect(result.code, result.stderr).toBe(7);
    expect(result.stderr.trimEnd().split('\n')).toHaveLength(1);
    expect(result.stderr).toMatch(/^gitctx: disk full: writing the search index in .+\n$/);

    const cacheAfter = snapshot(join(gitctxDir(repo), 'embeddings'));
    expect(cacheAfter).toEqual(cacheBefore);
    expect((await inspectCache(repo, key())).broken).toEqual([]);

    const requests = server.requests.length;
    const recovered = await index();
    expect(recovered.code, recovered.stderr).toBe(0);
    expect(JSON.parse(recovered.stdout)).toMatchObject({ embedded_chunks: 0 });
    expect(server.requests.length).toBe(requests);
    expect(rowFingerprints(await tableRows(repo))).toEqual(rowsBefore);
    const search = await recorder.run(['search', '--format', 'json', 'handles step'], { cwd: repo.dir, env: env() });
    expect(search.code, search.stderr).toBe(0);
    console.log(`disk full (tmpfs, LanceDB write): exit 7, "${result.stderr.trim()}"; cache unchanged; rebuilt with 0 requests once space was back`);
  });

  it('never writes the API key anywhere', () => {
    expect(recorder.leaks()).toEqual([]);
    expect(filesContaining(gitctxDir(repo))).toEqual([]);
  });
});

describe.runIf(!TMPFS)('disk full simulated in-process (this machine cannot mount a tmpfs)', () => {
  let root: string;
  beforeAll(() => {
    root = mkdtempSync(join(tmpdir(), 'gitctx-enospc-'));
  });
  afterAll(() => {
    rmSync(root, { recursive: true, force: true });
  });

  it('ENOSPC half-way through a cache write: DiskFullError (exit 7), previous file byte-identical, no temp file', async () => {
    const sha = 'a94a8fe5ccb19ba61c4c0873d391e987982fbbd3';
    const plain = new EmbeddingCache({ dir: root, model: 'm', dims: 64 });
    await plain.set(sha, makeEmbeddings(3, 64, 1));
    const before = snapshot(root);
    const full = new EmbeddingCache({
      dir: root,
      model: 'm',
      dims: 64,
      fs: {
        async writeNewFile(path, data) {
          await mkdir(dirname(path), { recursive: true });
          await writeFile(path, data.subarray(0, data.length >> 1), { flag: 'wx' });
          throw Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' });
        },
      },
    });
    const err = await full.set(sha, makeEmbeddings(3, 64, 2)).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(DiskFullError);
    expect(exitCodeOf(err)).toBe(7);
    expect((err as Error).message).toMatch(/^disk full: writing cache file /);
    expect(snapshot(root)).toEqual(before);
    expect(walkFiles(root).filter((p) => p.endsWith('.tmp'))).toEqual([]);
    expect(await plain.get(sha)).toHaveLength(3);
    console.log('disk full: simulated ENOSPC in-process (no tmpfs here)');
  });
});
