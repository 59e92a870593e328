/**
 * `gitctx cache verify --repair`: a damaged cache file is rewritten from the vectors
 * the search index already holds (no request to the model), and only what the index
 * lacks is embedded again. Against a real HTTP server speaking the OpenAI API, whose
 * request log is the bill.
 */
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeCacheFile, decodeSafetensors, EmbeddingCache } from '../../src/cache/index.js';
import { zstdDecompress } from '../../src/cache/zstd.js';
import { unitVectors } from '../helpers/cache-data.js';
import { runCli, runCliInProcess } from '../helpers/cli.js';
import { startFakeOpenAI } from '../helpers/fake-openai-server.js';
import type { FakeOpenAI } from '../helpers/fake-openai-server.js';
import { makeRepo } from '../helpers/git-repo.js';
import type { TestRepo } from '../helpers/git-repo.js';
import { track } from '../helpers/cleanup.js';

const MODEL = 'text-embedding-3-small';

/** Long enough to be several chunks, so a repair has more than one vector to find. */
const SOURCE = (name: string) =>
  [
    `export function ${name}Total(items: { price: number; quantity: number }[]): number {`,
    ...Array.from({ length: 30 }, (_, i) => `  // step ${i}: add the line of item ${i} to the running total of ${name}`),
    '  return items.reduce((sum, item) => sum + item.price * item.quantity, 0);',
    '}',
    '',
    `export function ${name}Label(total: number): string {`,
    ...Array.from({ length: 30 }, (_, i) => `  // note ${i}: format the ${name} total with two decimals and a currency sign`),
    '  return `$${total.toFixed(2)}`;',
    '}',
    '',
  ].join('\n');

const FILES = { 'src/invoice.ts': SOURCE('invoice'), 'src/order.ts': SOURCE('order'), 'README.md': '# Shop\n\nInvoices and orders.\n' };

const cachePath = (sha: string) => `.gitctx/embeddings/${MODEL}/${sha.slice(0, 2)}/${sha}.safetensors.zst`;

interface RepairJson {
  files: number;
  ok: number;
  bad: { path: string; reason: string }[];
  repair: {
    repaired: { path: string; from_index: number; embedded: number }[];
    failed: { path: string; reason: string }[];
    from_index_chunks: number;
    embedded_chunks: number;
    tokens: number;
    cost_usd: number;
  };
}

describe('gitctx cache verify --repair', () => {
  let server: FakeOpenAI;
  let env: Record<string, string>;
  beforeAll(async () => {
    server = await startFakeOpenAI();
    env = { GITCTX_MODEL__EMBEDDING: MODEL, OPENAI_BASE_URL: server.baseUrl, OPENAI_API_KEY: 'sk-test-000000000' };
  });
  afterAll(async () => {
    await server.close();
  });

  /** An indexed repository, and the invoice blob's cache file: its path, its sound bytes, and a bit flip of them. */
  async function damaged(): Promise<{ repo: TestRepo; file: string; display: string; original: Buffer; chunks: number }> {
    const repo = track(makeRepo({ files: FILES }));
    // Setup, in-process (indexing is proved through the binary in test/indexer); verify below runs the binary.
    const indexed = await runCliInProcess(['index', '-q'], { cwd: repo.dir, env });
    expect(indexed.code, indexed.stderr).toBe(0);
    const sha = repo.git(['rev-parse', 'HEAD:src/invoice.ts']).trim();
    const display = cachePath(sha);
    const file = join(repo.dir, display);
    const original = readFileSync(file);
    const chunker = decodeSafetensors(zstdDecompress(original)).metadata['chunker'] as string;
    const sound = decodeCacheFile(original, { blobSha: sha, model: MODEL, dims: 1536, chunker });
    if (sound.status !== 'hit') throw new Error('fixture: the cache file should be sound before the bit flip');
    const chunks = sound.entry.embeddings.length;
    expect(chunks).toBeGreaterThan(1);
    const bytes = Buffer.from(original);
    bytes[bytes.length - 40]! ^= 0x04;
    writeFileSync(file, bytes);
    return { repo, file, display, original, chunks };
  }

  it('the failure line of plain verify names the repair command', async () => {
    const { repo, display } = await damaged();
    const result = await runCli(['cache', 'verify'], { cwd: repo.dir, env });
    expect(result.code).toBe(1);
    expect(result.stdout).toMatch(new RegExp(`^bad {3}${display}: `, 'm'));
    const lines = result.stderr.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toContain(display);
    expect(lines[0]).toContain('`gitctx cache verify --repair`');
  });

  it('rewrites a bit-flipped file from the index with zero requests, byte for byte as indexing wrote it', async () => {
    const { repo, file, display, original, chunks } = await damaged();
    const before = server.requests.length;
    const result = await runCli(['cache', 'verify', '--repair'], { cwd: repo.dir, env });
    expect(result.code, result.stderr).toBe(0);
    expect(server.requests.length - before).toBe(0);
    expect(readFileSync(file).equals(original)).toBe(true);
    expect(result.stdout).toMatch(new RegExp(`^fixed ${display}: ${chunks} chunks from the index, 0 re-embedded$`, 'm'));
    expect(result.stdout).toMatch(new RegExp(`^repaired 1 of 1 bad files: ${chunks} chunks from the index, 0 re-embedded \\(0 tokens\\)$`, 'm'));
    expect(result.stderr).toBe('');
    // Sound again, and no temp file left behind.
    const again = await runCli(['cache', 'verify', '--json'], { cwd: repo.dir, env });
    expect(again.code, again.stdout).toBe(0);
    expect(JSON.parse(again.stdout)).toMatchObject({ files: 3, ok: 3, bad: [] });
    expect(server.requests.length - before).toBe(0);
  });

  it('without the index, re-embeds only the damaged blob (one request), and --json reports it', async () => {
    const { repo, file, display, original, chunks } = await damaged();
    rmSync(join(repo.dir, '.gitctx', 'db'), { recursive: true, force: true });
    const before = server.requests.length;
    const result = await runCli(['cache', 'verify', '--repair', '--json'], { cwd: repo.dir, env });
    expect(result.code, result.stderr).toBe(0);
    const requests = server.requests.slice(before);
    expect(requests).toHaveLength(1);
    expect(requests[0]?.inputs).toBe(chunks);
    const report = JSON.parse(result.stdout) as RepairJson;
    expect(report).toMatchObject({ files: 3, ok: 2, bad: [{ path: display }] });
    expect(report.repair).toEqual({
      repaired: [{ path: display, from_index: 0, embedded: chunks }],
      failed: [],
      from_index_chunks: 0,
      embedded_chunks: chunks,
      tokens: requests[0]?.tokens,
      cost_usd: expect.closeTo(((requests[0]?.tokens ?? 0) * 0.02) / 1e6, 12) as number,
    });
    // The server answers the same text with the same vector, so the file is the same file.
    expect(readFileSync(file).equals(original)).toBe(true);
    expect(existsSync(join(repo.dir, '.gitctx', 'index.lock'))).toBe(false);
  });

  it('leaves what it cannot rewrite, says why, and exits 1', async () => {
    const { repo, display, original } = await damaged();
    // A file for a blob this repository never had: prune's business, not repair's.
    const ghost = `${'0'.repeat(39)}1`;
    mkdirSync(dirname(join(repo.dir, cachePath(ghost))), { recursive: true });
    writeFileSync(join(repo.dir, cachePath(ghost)), original);
    const result = await runCli(['cache', 'verify', '--repair', '--json'], { cwd: repo.dir, env });
    expect(result.code).toBe(1);
    const report = JSON.parse(result.stdout) as RepairJson;
    expect(report.repair.repaired.map((r) => r.path)).toEqual([display]);
    expect(report.repair.failed).toEqual([{ path: cachePath(ghost), reason: expect.stringMatching(/not in the repository.*gitctx cache prune/) as string }]);
    expect(result.stderr.trim().split('\n')).toHaveLength(1);
    expect(result.stderr).toMatch(new RegExp(`cache repair incomplete: 1 of 4 files are still bad: ${cachePath(ghost)}`));
  });

  it('a file whose vectors --reembed finds wrong is re-embedded, not copied back from an index built from it', async () => {
    const repo = track(makeRepo({ files: FILES }));
    expect((await runCliInProcess(['index', '-q'], { cwd: repo.dir })).code).toBe(0);
    const sha = repo.git(['rev-parse', 'HEAD:src/order.ts']).trim();
    const display = `.gitctx/embeddings/local-v2/${sha.slice(0, 2)}/${sha}.safetensors.zst`;
    const file = join(repo.dir, display);
    const original = readFileSync(file);
    // Poisoned: sound metadata and spans, other vectors; then the index is rebuilt from it.
    const chunker = decodeSafetensors(zstdDecompress(original)).metadata['chunker'] as string;
    const cache = new EmbeddingCache({ dir: join(repo.dir, '.gitctx', 'embeddings'), model: 'local-v2', dims: 1024, chunker });
    const sound = await cache.getEntry(sha);
    if (sound === undefined) throw new Error('fixture: the cache file should be sound');
    const fake = unitVectors(sound.embeddings.length, 1024, 11);
    await cache.set(sha, sound.embeddings.map((e, i) => ({ ...e, vector: fake[i] as Float32Array })), { tokens: sound.tokens, costUsd: sound.costUsd });
    rmSync(join(repo.dir, '.gitctx', 'db'), { recursive: true, force: true });
    expect((await runCliInProcess(['index', '-q'], { cwd: repo.dir })).code).toBe(0);

    const result = await runCli(['cache', 'verify', '--reembed', '100', '--repair', '--json'], { cwd: repo.dir });
    expect(result.code, result.stderr).toBe(0);
    const report = JSON.parse(result.stdout) as RepairJson;
    expect(report.repair.repaired).toEqual([{ path: display, from_index: 0, embedded: sound.embeddings.length }]);
    expect(readFileSync(file).equals(original)).toBe(true);
  });
});
