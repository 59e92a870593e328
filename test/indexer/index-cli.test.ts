import { existsSync, readFileSync, rmSync, statSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import * as lancedb from '@lancedb/lancedb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { zstdDecompress } from '../../src/cache/zstd.js';
import { decodeSafetensors } from '../../src/cache/index.js';
import { runCli, runCliInProcess } from '../helpers/cli.js';
import { refusedUrl, startFakeOpenAI } from '../helpers/fake-openai-server.js';
import type { FakeOpenAI } from '../helpers/fake-openai-server.js';
import { cloneRepo, makeRepo, makeTempDir } from '../helpers/git-repo.js';
import type { TestRepo } from '../helpers/git-repo.js';
import { track } from '../helpers/cleanup.js';
import { filesUnder } from '../helpers/files.js';

interface Row {
  path: string;
  blob_sha: string;
  start_line: number;
  end_line: number;
  chunk_index: number;
  is_head: boolean;
  vector: Float32Array | number[];
  content: string;
  commit_sha: string | null;
}

async function tableRows(repo: TestRepo): Promise<Row[]> {
  const db = await lancedb.connect(join(repo.dir, '.gitctx', 'db'));
  try {
    const table = await db.openTable('chunks');
    const rows = (await table.query().toArray()) as Row[];
    table.close();
    return rows;
  } finally {
    db.close();
  }
}

const key = (r: Row) => `${r.path}|${r.blob_sha}|${r.chunk_index}`;

function cacheFiles(repo: TestRepo): string[] {
  return filesUnder(join(repo.dir, '.gitctx', 'embeddings'));
}

/**
 * Functions large enough (over a quarter of the chunker's 400-token target) that
 * each gets its own chunk, so an edit inside one of them changes exactly one chunk.
 */
function sourceFile(n: number, functions = 6): string {
  const parts: string[] = [`// module ${n}: helpers for feature ${n}`];
  for (let f = 0; f < functions; f++) {
    parts.push(
      [
        `export function handler${n}x${f}(input: string, options: { strict: boolean; label: string }): string {`,
        `  const trimmed = input.trim();`,
        `  if (trimmed.length === 0) return 'empty ${n} ${f}';`,
        `  const words = trimmed.split(/\\s+/).filter((word) => word.length > ${f});`,
        `  if (options.strict && words.some((word) => /[^a-z]/i.test(word))) {`,
        `    throw new Error(\`handler ${n}.${f}: \${options.label} has characters outside a-z\`);`,
        `  }`,
        `  const counts = new Map<string, number>();`,
        `  for (const word of words) counts.set(word, (counts.get(word) ?? 0) + 1);`,
        `  return [...counts.entries()].map(([word, count]) => \`\${word}=\${count}\`).join(',') + '${n}-${f}';`,
        `}`,
      ].join('\n'),
    );
  }
  return `${parts.join('\n\n')}\n`;
}


describe('gitctx index with the local provider', () => {
  it('indexes, then a re-run is a no-op, and status reports it', async () => {
    const repo = track(makeRepo({ files: { 'src/a.ts': sourceFile(1), 'src/b.py': 'def parse_config(path):\n    return open(path).read()\n', 'README.md': '# Demo\n\nA demo repository.\n' } }));
    const first = await runCli(['index', '--json'], { cwd: repo.dir });
    expect(first.stderr).toBe('');
    expect(first.code).toBe(0);
    const summary = JSON.parse(first.stdout);
    expect(summary).toMatchObject({ files: 3, blobs: 3, cache_hits: 0, cost_usd: 0, skipped: {} });
    expect(summary.embedded_chunks).toBe(summary.chunks);
    expect(cacheFiles(repo)).toHaveLength(3);
    expect(readFileSync(join(repo.dir, '.gitctx', '.gitignore'), 'utf8')).toMatch(/^db\/$/m);
    expect(repo.git(['status', '--porcelain', '--untracked-files=all'])).not.toMatch(/\.gitctx\/db/);

    const second = await runCliInProcess(['index', '--json'], { cwd: repo.dir });
    expect(JSON.parse(second.stdout)).toMatchObject({ files: 3, chunks: summary.chunks, embedded_chunks: 0, cache_hits: 0 });

    const status = await runCliInProcess(['status', '--json'], { cwd: repo.dir });
    expect(status.code).toBe(0);
    expect(JSON.parse(status.stdout)).toMatchObject({
      indexed_commit: repo.head(),
      model: 'local-v2',
      files: 3,
      chunks: summary.chunks,
      stale: false,
      cache: { files: 3 },
    });
    repo.write('new.ts', 'export const x = 1;\n');
    repo.commit('add new');
    expect(JSON.parse((await runCliInProcess(['status', '--json'], { cwd: repo.dir })).stdout).stale).toBe(true);
    const human = await runCliInProcess(['status'], { cwd: repo.dir });
    expect(human.stdout).toMatch(/stale: HEAD is/);
  });

  it('reflects an edited, a deleted and a renamed file with no duplicates, re-embedding only the edited chunk', async () => {
    const files: Record<string, string> = {};
    for (let i = 0; i < 6; i++) files[`src/m${i}.ts`] = sourceFile(i, 12);
    const repo = track(makeRepo({ files }));
    const first = JSON.parse((await runCliInProcess(['index', '--json'], { cwd: repo.dir })).stdout);
    expect(first.files).toBe(6);

    const edited = sourceFile(0, 12).replace("return 'empty 0 5';", "return 'nothing here 0 5';");
    repo.write('src/m0.ts', edited);
    repo.rm('src/m1.ts');
    repo.git(['mv', 'src/m2.ts', 'src/renamed.ts']);
    repo.commit('edit, delete, rename');
    const second = JSON.parse((await runCliInProcess(['index', '--json'], { cwd: repo.dir })).stdout);
    expect(second.files).toBe(5);
    // Only the edited function's chunk is embedded: the rest of the edited file and the
    // renamed file reuse cached vectors, and untouched files are not even read.
    expect(second.embedded_chunks).toBe(1);

    const rows = await tableRows(repo);
    const keys = rows.map(key);
    expect(new Set(keys).size).toBe(keys.length);
    const paths = new Set(rows.map((r) => r.path));
    expect([...paths].sort()).toEqual(['src/m0.ts', 'src/m3.ts', 'src/m4.ts', 'src/m5.ts', 'src/renamed.ts']);
    expect(rows.some((r) => r.path === 'src/m0.ts' && r.content.includes('nothing here 0 5'))).toBe(true);
    const touched = rows.filter((r) => r.path === 'src/m0.ts' || r.path === 'src/renamed.ts').length;
    expect(second.cache_hits).toBe(touched - 1);
    expect(rows.every((r) => r.commit_sha === repo.head() || r.path !== 'src/m0.ts')).toBe(true);
  });

  it('rebuilds a deleted or corrupt database from the cache with the same rows and vectors', async () => {
    const repo = track(makeRepo({ files: { 'a.ts': sourceFile(1), 'b.ts': sourceFile(2), 'docs/guide.md': '# Guide\n\nHow to use it.\n' } }));
    await runCliInProcess(['index'], { cwd: repo.dir });
    const before = (await tableRows(repo)).sort((a, b) => key(a).localeCompare(key(b)));
    const cacheBytes = cacheFiles(repo).map((f) => readFileSync(f));

    rmSync(join(repo.dir, '.gitctx', 'db'), { recursive: true, force: true });
    const rebuilt = JSON.parse((await runCliInProcess(['index', '--json'], { cwd: repo.dir })).stdout);
    expect(rebuilt.embedded_chunks).toBe(0);
    expect(rebuilt.cache_hits).toBe(before.length);
    const after = (await tableRows(repo)).sort((a, b) => key(a).localeCompare(key(b)));
    expect(after.map(key)).toEqual(before.map(key));
    after.forEach((row, i) => expect(Array.from(row.vector)).toEqual(Array.from(before[i]!.vector)));
    expect(cacheFiles(repo).map((f) => readFileSync(f))).toEqual(cacheBytes);

    rmSync(join(repo.dir, '.gitctx', 'db', 'chunks.lance', '_versions'), { recursive: true, force: true });
    const repaired = await runCliInProcess(['index', '--json'], { cwd: repo.dir });
    expect(repaired.code).toBe(0);
    expect(repaired.stderr).toMatch(/unreadable.*rebuilding it from the cache/);
    expect(JSON.parse(repaired.stdout)).toMatchObject({ embedded_chunks: 0, chunks: before.length });

    // The vectors in the table are exactly the cache's, bit for bit.
    for (const file of cacheFiles(repo)) {
      const { metadata, tensors } = decodeSafetensors(zstdDecompress(readFileSync(file)));
      const tensor = tensors.get('embeddings')!;
      const [chunks, dims] = tensor.shape as [number, number];
      // A copy: tensor.data may be a Node Buffer, whose slice() is a view, not a copy.
      const values = new Float32Array(new Uint8Array(tensor.data).buffer);
      const rowsOfBlob = after.filter((r) => r.blob_sha === metadata.blob_sha).sort((a, b) => a.chunk_index - b.chunk_index);
      expect(rowsOfBlob).toHaveLength(chunks);
      rowsOfBlob.forEach((row, i) => expect(Array.from(row.vector)).toEqual(Array.from(values.subarray(i * dims, (i + 1) * dims))));
    }
  });

  it('counts every skip reason and indexes unicode and space-containing paths', async () => {
    const big = 'x'.repeat(8192) + '\n';
    const repo = track(
      makeRepo({
        files: {
          'src/main.ts': sourceFile(1),
          'src/with space/naïve ünïcode.ts': 'export const café = "crème brûlée";\n',
          'package-lock.json': '{"lockfileVersion": 3}\n',
          'vendor/lib.js': 'function vendored() {}\n',
          'dist/app.min.js': 'var a=1;',
          'gen/api.ts': 'export const generated = true;\n',
          '.gitattributes': 'gen/** linguist-generated\n',
          'big.txt': big,
          'image.png': Buffer.from([0x89, 0x50, 0x4e, 0x47, 0, 0, 0, 0x0d, 1, 2, 3]),
          'model.bin': 'version https://git-lfs.github.com/spec/v1\noid sha256:4d7a214614ab2935c943f9e0ff69d22eadbb8f32b1258daaa5e2ca24d17e2393\nsize 12345\n',
          'docs/skip-me.md': '# excluded\n',
          '.gitctx/config.yml': 'index:\n  max_file_bytes: 4096\n  exclude: ["docs/**"]\n',
          'empty.ts': '\n\n',
        },
      }),
    );
    const sub = track(makeRepo({ files: { 'x.ts': 'x\n' } }));
    repo.git(['-c', 'protocol.file.allow=always', 'submodule', 'add', '-q', `file://${sub.dir}`, 'sub']);
    symlinkSync('src/main.ts', join(repo.dir, 'link'));
    repo.commit('add a submodule and a symlink');

    const result = await runCliInProcess(['index', '--json', '-v'], { cwd: repo.dir });
    expect(result.code).toBe(0);
    const summary = JSON.parse(result.stdout);
    expect(summary.skipped).toEqual({
      'lock-file': 1,
      vendored: 1,
      generated: 2,
      'too-large': 1,
      binary: 1,
      'lfs-pointer': 1,
      excluded: 1,
      gitctx: 1,
      submodule: 1,
      symlink: 1,
      empty: 1,
    });
    expect(result.stderr).toMatch(/skip lock-file: package-lock\.json/);
    const paths = new Set((await tableRows(repo)).map((r) => r.path));
    expect(paths).toContain('src/with space/naïve ünïcode.ts');
    expect(paths).toContain('src/main.ts');
    // Remembered content skips cost nothing on the next run, and are still counted.
    const again = JSON.parse((await runCliInProcess(['index', '--json'], { cwd: repo.dir })).stdout);
    expect(again.skipped).toEqual(summary.skipped);
  });

  it('works in a SHA-256 repository and in a shallow clone', async () => {
    const sha256 = track(makeRepo({ objectFormat: 'sha256', files: { 'a.ts': sourceFile(1) } }));
    const r1 = await runCliInProcess(['index', '--json'], { cwd: sha256.dir });
    expect(r1.code).toBe(0);
    expect(JSON.parse(r1.stdout).files).toBe(1);
    expect(cacheFiles(sha256)[0]).toMatch(/[0-9a-f]{64}\.safetensors\.zst$/);

    const origin = track(makeRepo({ files: { 'a.ts': sourceFile(1) } }));
    origin.write('b.ts', sourceFile(2));
    origin.commit('second');
    const shallow = track(cloneRepo(origin, { depth: 1 }));
    const r2 = await runCliInProcess(['index', '--json'], { cwd: shallow.dir });
    expect(r2.code).toBe(0);
    expect(JSON.parse(r2.stdout).files).toBe(2);
  });

  it('indexes uncommitted files with --worktree, and --dry-run writes nothing', async () => {
    const repo = track(makeRepo({ files: { 'a.ts': sourceFile(1) } }));
    repo.write('draft.ts', 'export function draftFeature() { return 42; }\n');
    const dry = await runCliInProcess(['index', '--dry-run', '--worktree'], { cwd: repo.dir });
    expect(dry.code).toBe(0);
    expect(dry.stdout).toMatch(/^draft\.ts\t1 chunks/m);
    expect(dry.stdout).toMatch(/would embed \d+ chunks of 2 files/);
    expect(existsSync(join(repo.dir, '.gitctx'))).toBe(false);

    const real = JSON.parse((await runCliInProcess(['index', '--json', '--worktree'], { cwd: repo.dir })).stdout);
    expect(real.files).toBe(2);
    const draft = (await tableRows(repo)).filter((r) => r.path === 'draft.ts');
    expect(draft).toHaveLength(1);
    expect(draft[0]).toMatchObject({ commit_sha: null, is_head: true });
  });

  it('indexes history with -y, and refuses without it when nobody can answer', async () => {
    const repo = track(makeRepo({ files: { 'a.ts': sourceFile(1) } }));
    repo.write('a.ts', sourceFile(1).replace('empty 1 0', 'nothing 1 0'));
    repo.commit('second version');
    const refused = await runCli(['index', '--history'], { cwd: repo.dir });
    expect(refused.code).toBe(2);
    expect(refused.stderr).toMatch(/--history would embed \d+ chunks.*pass -y to confirm/);
    const done = JSON.parse((await runCliInProcess(['index', '--history', '-y', '--json'], { cwd: repo.dir })).stdout);
    expect(done.files).toBe(2);
    const rows = await tableRows(repo);
    expect(new Set(rows.map((r) => r.blob_sha)).size).toBe(2);
    expect(rows.filter((r) => r.is_head).every((r) => r.blob_sha === repo.git(['rev-parse', 'HEAD:a.ts']).trim())).toBe(true);
  });
});

describe('gitctx index errors', () => {
  it('exit 3 outside a repository, exit 2 for a bad setting or flag, exit 2 for no commits', async () => {
    const temp = makeTempDir();
    try {
      const outside = await runCli(['index'], { cwd: temp.dir });
      expect(outside.code).toBe(3);
      expect(outside.stderr).toMatch(/^gitctx: not a git repository/);
      expect(outside.stderr.trim().split('\n')).toHaveLength(1);
    } finally {
      temp.cleanup();
    }
    const repo = track(makeRepo({ files: { 'a.ts': 'a\n' } }));
    const badSetting = await runCliInProcess(['index'], { cwd: repo.dir, env: { GITCTX_CACHE__ENCODING: 'f8' } });
    expect(badSetting.code).toBe(2);
    expect(badSetting.stderr).toMatch(/cache\.encoding.*one of f32, f32-shuffle, f16/);
    const badFlag = await runCli(['index', '--frobnicate'], { cwd: repo.dir });
    expect(badFlag.code).toBe(2);
    const empty = track(makeRepo());
    const noCommits = await runCliInProcess(['index'], { cwd: empty.dir });
    expect(noCommits.code).toBe(2);
    expect(noCommits.stderr).toMatch(/no commits yet/);
  });

  it('exit 4 for a missing or rejected key, exit 5 for an unreachable endpoint, and the key is never printed', async () => {
    const repo = track(makeRepo({ files: { 'a.ts': sourceFile(1) } }));
    const missing = await runCli(['index'], { cwd: repo.dir, env: { GITCTX_MODEL__EMBEDDING: 'text-embedding-3-small' } });
    expect(missing.code).toBe(4);
    expect(missing.stderr).toMatch(/OPENAI_API_KEY/);

    const server = await startFakeOpenAI({ apiKey: 'sk-right-0123456789', echoKeyInErrors: true });
    try {
      const secret = 'sk-wrong-9876543210';
      const rejected = await runCli(['index'], {
        cwd: repo.dir,
        env: { GITCTX_MODEL__EMBEDDING: 'text-embedding-3-small', OPENAI_BASE_URL: server.baseUrl, OPENAI_API_KEY: secret },
      });
      expect(rejected.code).toBe(4);
      expect(rejected.stderr + rejected.stdout).not.toContain(secret);
    } finally {
      await server.close();
    }
    const unreachable = await runCli(['index'], {
      cwd: repo.dir,
      // Credentials in the URL (a proxy's) are secrets too: never shown.
      env: {
        GITCTX_MODEL__EMBEDDING: 'text-embedding-3-small',
        OPENAI_BASE_URL: `${(await refusedUrl()).replace('http://', 'http://proxy-user:proxy-pass-0123@')}/v1?token=query-secret-456`,
        GITCTX_MODEL__MAX_RETRIES: '1',
      },
    });
    expect(unreachable.code).toBe(5);
    expect(unreachable.stderr).not.toMatch(/proxy-pass-0123|query-secret-456/);
    expect(unreachable.stderr.trim().split('\n')).toHaveLength(1);
  });
});

describe('gitctx index against an OpenAI-compatible server', () => {
  let server: FakeOpenAI;
  beforeAll(async () => {
    server = await startFakeOpenAI();
  });
  afterAll(async () => {
    await server.close();
  });

  it('stores a 100-file repository at 3072 dims about 8% below uncompressed, then re-runs and rebuilds with zero requests', async () => {
    const files: Record<string, string> = {};
    for (let i = 0; i < 100; i++) files[`src/module${i}.ts`] = sourceFile(i);
    const repo = track(makeRepo({ files }));
    const env = { GITCTX_MODEL__EMBEDDING: 'text-embedding-3-large', OPENAI_BASE_URL: server.baseUrl, OPENAI_API_KEY: 'sk-test-000000000' };
    const before = server.requests.length;
    const first = await runCli(['index', '--json'], { cwd: repo.dir, env });
    expect(first.stderr).toBe('');
    const summary = JSON.parse(first.stdout);
    expect(summary.files).toBe(100);
    expect(summary.tokens).toBeGreaterThan(0);
    expect(summary.cost_usd).toBeCloseTo((summary.tokens * 0.13) / 1e6, 10);
    expect(server.requests.length - before).toBeGreaterThan(0);
    expect(server.requests.slice(before).every((r) => r.inputs <= 2048)).toBe(true);

    const compressed = cacheFiles(repo).reduce((n, f) => n + statSync(f).size, 0);
    const uncompressed = cacheFiles(repo).reduce((n, f) => n + zstdDecompress(readFileSync(f)).byteLength, 0);
    const ratio = compressed / uncompressed;
    expect(ratio).toBeLessThan(0.95);
    expect(ratio).toBeGreaterThan(0.85);

    const afterFirst = server.requests.length;
    const second = JSON.parse((await runCliInProcess(['index', '--json'], { cwd: repo.dir, env })).stdout);
    expect(second.embedded_chunks).toBe(0);
    rmSync(join(repo.dir, '.gitctx', 'db'), { recursive: true, force: true });
    const rebuilt = JSON.parse((await runCliInProcess(['index', '--json'], { cwd: repo.dir, env })).stdout);
    expect(rebuilt).toMatchObject({ files: 100, chunks: summary.chunks, embedded_chunks: 0, tokens: 0 });
    expect(server.requests.length).toBe(afterFirst);
  });

  it('resumes after Ctrl+C: exit 130, what was embedded stays cached, the next run finishes', async () => {
    const files: Record<string, string> = {};
    for (let i = 0; i < 40; i++) files[`src/f${i}.ts`] = sourceFile(i, 2);
    const repo = track(makeRepo({ files }));
    const env = { GITCTX_MODEL__EMBEDDING: 'text-embedding-3-small', OPENAI_BASE_URL: server.baseUrl, OPENAI_API_KEY: 'sk-test-000000000' };
    server.setDelay(1500);
    const before = server.requests.length;
    try {
      const interrupted = await runCli(['index'], {
        cwd: repo.dir,
        env,
        // Interrupt once embedding is under way: the first request has reached the (slow) server.
        onSpawn: (child) => {
          const poll = setInterval(() => {
            if (server.requests.length > before) {
              clearInterval(poll);
              child.kill('SIGINT');
            }
          }, 20);
          child.on('exit', () => clearInterval(poll));
        },
      });
      expect(interrupted.code).toBe(130);
      expect(interrupted.stderr).toMatch(/interrupted/);
      expect(existsSync(join(repo.dir, '.gitctx', 'index.lock'))).toBe(false);
    } finally {
      server.setDelay(0);
    }
    const resumed = JSON.parse((await runCliInProcess(['index', '--json'], { cwd: repo.dir, env })).stdout);
    expect(resumed.files).toBe(40);
    const rows = await tableRows(repo);
    expect(new Set(rows.map(key)).size).toBe(rows.length);
    expect(cacheFiles(repo)).toHaveLength(40);
  });

  it('caches query vectors: the same question twice costs one request', async () => {
    const repo = track(makeRepo({ files: { 'src/a.ts': sourceFile(1), 'src/b.ts': sourceFile(2) } }));
    const env = { GITCTX_MODEL__EMBEDDING: 'text-embedding-3-small', OPENAI_BASE_URL: server.baseUrl, OPENAI_API_KEY: 'sk-test-000000000' };
    expect((await runCliInProcess(['index', '-q'], { cwd: repo.dir, env })).code).toBe(0);
    const before = server.requests.length;
    const first = await runCliInProcess(['search', 'reverse the trimmed input', '--format', 'json'], { cwd: repo.dir, env });
    const second = await runCliInProcess(['search', 'reverse the trimmed input', '--format', 'json'], { cwd: repo.dir, env });
    expect([first.code, second.code]).toEqual([0, 0]);
    expect(JSON.parse(second.stdout)).toEqual(JSON.parse(first.stdout));
    expect(server.requests.length - before).toBe(1);
    await runCliInProcess(['search', 'another question', '--mode', 'vector'], { cwd: repo.dir, env });
    expect(server.requests.length - before).toBe(2);
  });

  it('two concurrent runs leave one consistent index', async () => {
    const files: Record<string, string> = {};
    for (let i = 0; i < 30; i++) files[`src/f${i}.ts`] = sourceFile(i, 3);
    const repo = track(makeRepo({ files }));
    const env = { GITCTX_MODEL__EMBEDDING: 'text-embedding-3-small', OPENAI_BASE_URL: server.baseUrl, OPENAI_API_KEY: 'sk-test-000000000' };
    server.setDelay(200);
    let results;
    try {
      results = await Promise.all([runCli(['index', '--json'], { cwd: repo.dir, env }), runCli(['index', '--json'], { cwd: repo.dir, env })]);
    } finally {
      server.setDelay(0);
    }
    expect(results.map((r) => r.code)).toEqual([0, 0]);
    expect(results.some((r) => /waiting for \.gitctx\/index\.lock, held by pid \d+ on /.test(r.stderr))).toBe(true);
    const summaries = results.map((r) => JSON.parse(r.stdout));
    expect(summaries.map((s) => s.embedded_chunks).sort((a, b) => a - b)[0]).toBe(0);
    const rows = await tableRows(repo);
    expect(new Set(rows.map(key)).size).toBe(rows.length);
    expect(rows.length).toBe(summaries[0].chunks);
  });
});
