/**
 * ONNX models through the real binary: index and search a temp git repository with the tiny
 * generated model from `model.path` (no hub, real LanceDB, worker threads), what a bad model
 * file does to a run, and that the built-in models never load ONNX Runtime.
 */
import { existsSync, readdirSync, truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { modelDirName } from '../../../src/cache/paths.js';
import { track } from '../../helpers/cleanup.js';
import { runCli } from '../../helpers/cli.js';
import { makeRepo, makeTempDir } from '../../helpers/git-repo.js';
import { writeTinyModelDir } from '../../helpers/tiny-onnx.js';

const FILES = {
  'src/parse.ts': 'export function parseJsonNumber(text: string): number {\n  // parse the json number in the string\n  return JSON.parse(text);\n}\n',
  'src/sleep.ts': 'export function sleep(ms: number) {\n  // wait for a timeout before retry\n  return new Promise((r) => setTimeout(r, ms));\n}\n',
  'src/cache.ts': 'export class Cache {\n  // the vector cache of the search index\n  read(file: string) { return file; }\n}\n',
  'README.md': '# demo\n\nUser data value list map.\n',
};

/** Enough files for several batches (a batch holds at most 64 texts), so the run uses worker threads. */
const MANY_FILES = Object.fromEntries(
  Array.from({ length: 90 }, (_, i) => [`lib/m${i}.ts`, `export const value${i} = ${i};\n// read the file ${'and retry '.repeat(i % 9)}then return\n`]),
);

function embeddingDirs(repoDir: string): string[] {
  const root = join(repoDir, '.gitctx', 'embeddings');
  return existsSync(root) ? readdirSync(root) : [];
}

function cacheFiles(dir: string): number {
  if (!existsSync(dir)) return 0;
  return readdirSync(dir, { recursive: true }).filter((f) => String(f).endsWith('.safetensors.zst')).length;
}

describe('an ONNX model from model.path, end to end', () => {
  it('indexes and searches offline, caching under the model’s content name', async () => {
    const repo = track(makeRepo({ files: { ...FILES, ...MANY_FILES } }));
    const tiny = track(writeTinyModelDir());
    const env = { GITCTX_MODEL__EMBEDDING: 'onnx', GITCTX_MODEL__PATH: tiny.dir };

    const index = await runCli(['index', '--json'], { cwd: repo.dir, env });
    expect(index.stderr).toBe('');
    expect(index.code).toBe(0);
    const summary = JSON.parse(index.stdout) as { files: number; embedded_chunks: number };
    expect(summary.files).toBe(94);
    expect(summary.embedded_chunks).toBeGreaterThanOrEqual(94);

    // The tiny model's table is random, so only an identical text is sure to be nearest: the README's chunk.
    const query = FILES['README.md'].trim();
    const search = await runCli(['search', '--format', 'json', '--mode', 'vector'], { cwd: repo.dir, env, input: query });
    expect(search.code).toBe(0);
    const found = JSON.parse(search.stdout) as { model: string; results: Array<{ path: string; score: number }> };
    expect(found.model).toMatch(/^onnx@sha256:[0-9a-f]{16}$/);
    expect(found.results[0]?.path).toBe('README.md');
    expect(found.results[0]?.score).toBeCloseTo(1, 4);
    expect(embeddingDirs(repo.dir)).toEqual([modelDirName(found.model)]);

    // The index rebuilt from the committed cache embeds nothing.
    expect((await runCli(['clear', '--db', '-y'], { cwd: repo.dir, env })).code).toBe(0);
    const again = await runCli(['index', '--json'], { cwd: repo.dir, env });
    expect(again.code).toBe(0);
    const rebuilt = JSON.parse(again.stdout) as { embedded_chunks: number; cache_hits: number };
    expect(rebuilt.embedded_chunks).toBe(0);
    expect(rebuilt.cache_hits).toBeGreaterThan(0);
  });

  it('stops on a truncated model file with one line and exit 2, caching nothing', async () => {
    const repo = track(makeRepo({ files: FILES }));
    const tiny = track(writeTinyModelDir());
    truncateSync(join(tiny.dir, 'onnx', 'model.onnx'), 64);
    const result = await runCli(['index'], { cwd: repo.dir, env: { GITCTX_MODEL__EMBEDDING: 'onnx', GITCTX_MODEL__PATH: tiny.dir } });
    expect(result.code).toBe(2);
    expect(result.stderr.trim().split('\n')).toHaveLength(1);
    expect(result.stderr).toContain('not a usable ONNX model');
    expect(embeddingDirs(repo.dir).reduce((n, d) => n + cacheFiles(join(repo.dir, '.gitctx', 'embeddings', d)), 0)).toBe(0);
  });

  it('takes model.path from the user only, never from the committed repo file', async () => {
    const repo = track(makeRepo({ files: { ...FILES, '.gitctx/config.yml': 'model:\n  embedding: onnx\n  path: /tmp\n' } }));
    const result = await runCli(['index'], { cwd: repo.dir });
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('"model.path" is not allowed in the repo config');
    const set = await runCli(['config', 'set', 'model.path', '/tmp'], { cwd: repo.dir });
    expect(set.code).toBe(2);
    expect(set.stderr).toContain('gitctx config set --user model.path');
  });
});

describe('ONNX Runtime stays out of the built-in models', () => {
  it('is never imported by a local-v2 index or search, and its absence is one line for an ONNX model', async () => {
    const hooks = track(makeTempDir('gitctx-hide-onnx-'));
    // A module hook that makes `onnxruntime-node` unresolvable: any import of it fails the command.
    writeFileSync(
      join(hooks.dir, 'hooks.mjs'),
      `export async function resolve(specifier, context, next) {
  if (specifier === 'onnxruntime-node' || specifier.startsWith('onnxruntime-node/')) {
    const err = new Error("Cannot find package 'onnxruntime-node'");
    err.code = 'ERR_MODULE_NOT_FOUND';
    throw err;
  }
  return next(specifier, context);
}
`,
    );
    writeFileSync(join(hooks.dir, 'register.mjs'), "import { register } from 'node:module';\nregister('./hooks.mjs', import.meta.url);\n");
    const hidden = { NODE_OPTIONS: `--import=${join(hooks.dir, 'register.mjs')}` };
    const repo = track(makeRepo({ files: FILES }));

    const local = { ...hidden, GITCTX_MODEL__EMBEDDING: 'local-v2' };
    const index = await runCli(['index', '-q'], { cwd: repo.dir, env: local });
    expect(index.stderr).toBe('');
    expect(index.code).toBe(0);
    const search = await runCli(['search', 'parse json', '--format', 'json'], { cwd: repo.dir, env: local });
    expect(search.code).toBe(0);
    expect((JSON.parse(search.stdout) as { results: unknown[] }).results.length).toBeGreaterThan(0);

    const tiny = track(writeTinyModelDir());
    const onnx = await runCli(['index'], { cwd: repo.dir, env: { ...hidden, GITCTX_MODEL__EMBEDDING: 'onnx', GITCTX_MODEL__PATH: tiny.dir } });
    expect(onnx.code).toBe(2);
    expect(onnx.stderr.trim().split('\n')).toHaveLength(1);
    expect(onnx.stderr).toContain('npm install onnxruntime-node');
  });
});
