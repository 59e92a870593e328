/**
 * Real processes racing set() and get() on one key: every read sees a whole
 * file, and the race ends with exactly one valid file and no temp files.
 * The children run src/cache transpiled on the fly (test/helpers/cache-transpile.ts),
 * so the test needs no prior build.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { decodeCacheFile, encodeCacheFile } from '../../src/cache/codec.js';
import type { Embedding } from '../../src/cache/types.js';
import { SHA1 } from '../helpers/cache-data.js';
import { transpileCache } from '../helpers/cache-transpile.js';

const WORKERS = 4;
const ROUNDS = 50;
const DIMS = 256;
const KEY = { blobSha: SHA1, model: 'race-model', dims: DIMS, chunker: 'race/1' };

/** Shared by the test and the child script (as source text), so both build the same vectors. */
const makeSource = `function make(variant) {
  return Array.from({ length: 6 }, (_, c) => ({
    vector: Float32Array.from({ length: ${DIMS} }, (_, d) => Math.sin(variant * 1000 + c * ${DIMS} + d)),
    startLine: c * 10 + 1, endLine: c * 10 + 10, tokens: 50 + variant, chunkHash: 'v' + variant + '-' + c,
  }));
}`;
const make = new Function(`${makeSource}; return make;`)() as (variant: number) => Embedding[];

const childScript = `
import { EmbeddingCache } from './src/cache/embedding-cache.js';
${makeSource}
const [dir, worker, rounds, mode] = process.argv.slice(2);
const variant = mode === 'same' ? 0 : Number(worker);
const cache = new EmbeddingCache({ dir, model: ${JSON.stringify(KEY.model)}, dims: ${DIMS}, chunker: ${JSON.stringify(KEY.chunker)},
  warn: (m) => process.stderr.write(m + '\\n') });
const mine = make(variant);
let hits = 0, misses = 0, wrong = 0;
for (let i = 0; i < Number(rounds); i++) {
  await cache.set(${JSON.stringify(SHA1)}, mine);
  const got = await cache.get(${JSON.stringify(SHA1)});
  if (got === undefined) { misses++; continue; }
  // Whichever writer won, the file must be exactly that writer's version.
  const expected = make(got[0].tokens - 50);
  const same = got.length === expected.length && got.every((e, c) =>
    e.tokens === expected[c].tokens && e.chunkHash === expected[c].chunkHash && e.vector.every((v, d) => v === expected[c].vector[d]));
  if (same) hits++; else wrong++;
}
process.stdout.write(JSON.stringify({ hits, misses, wrong }));
`;

let work: string;
let script: string;

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'gitctx-race-'));
  await transpileCache(work);
  script = join(work, 'race-child.mjs');
  await writeFile(script, childScript);
});
afterAll(async () => {
  await rm(work, { recursive: true, force: true });
});

function runChild(dir: string, worker: number, mode: 'same' | 'own'): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [script, dir, String(worker), String(ROUNDS), mode], { cwd: work });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

async function filesUnder(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  return entries.filter((e) => e.isFile()).map((e) => join(e.parentPath, e.name));
}

describe(`${WORKERS} processes x ${ROUNDS} set()+get() on one key`, () => {
  it.each(['same', 'own'] as const)('with %s content: whole files only, one file left, no temp files', async (mode) => {
    const dir = join(work, `cache-${mode}`);
    const results = await Promise.all(Array.from({ length: WORKERS }, (_, w) => runChild(dir, w + 1, mode)));
    for (const r of results) {
      expect(r.stderr).toBe('');
      expect(r.code).toBe(0);
      expect(JSON.parse(r.stdout)).toEqual({ hits: ROUNDS, misses: 0, wrong: 0 });
    }
    const files = await filesUnder(dir);
    expect(files).toHaveLength(1);
    expect(files[0]).toMatch(/\.safetensors\.zst$/);
    const bytes = await readFile(files[0]!);
    const result = decodeCacheFile(bytes, KEY);
    expect(result.status).toBe('hit');
    if (mode === 'same') {
      // Deterministic output: the racing processes wrote what this process writes.
      expect(Buffer.from(encodeCacheFile(KEY, make(0))).equals(bytes)).toBe(true);
    }
  });
});
