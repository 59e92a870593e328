import { cpSync, existsSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli, runCliInProcess } from '../helpers/cli.js';
import { startFakeOpenAI } from '../helpers/fake-openai-server.js';
import type { FakeOpenAI } from '../helpers/fake-openai-server.js';
import { cloneRepo, makeRepo } from '../helpers/git-repo.js';
import type { TestRepo } from '../helpers/git-repo.js';
import { track } from '../helpers/cleanup.js';
import { filesUnder } from '../helpers/files.js';

const KEY = 'sk-test-000000000';
/** The multi-machine tests run the binary eight or nine times, three at once: room on a busy 2-core machine. */
const MACHINES_TIMEOUT = 180_000;
const envFor = (server: FakeOpenAI) => ({ GITCTX_MODEL__EMBEDDING: 'text-embedding-3-small', OPENAI_BASE_URL: server.baseUrl, OPENAI_API_KEY: KEY });

const embeddingsDir = (repo: TestRepo) => join(repo.dir, '.gitctx', 'embeddings');
const dbDir = (repo: TestRepo) => join(repo.dir, '.gitctx', 'db');
/** Cache files relative to the embeddings folder (`<model>/<ab>/<sha>.safetensors.zst`). */
const cacheFiles = (repo: TestRepo) => filesUnder(embeddingsDir(repo)).map((f) => relative(embeddingsDir(repo), f));
const blobOf = (cacheFile: string) => cacheFile.split('/').pop()?.split('.')[0] ?? '';
const sentTexts = (server: FakeOpenAI) => server.requests.flatMap((r) => r.texts ?? []);

/** A module of `functions` functions, each large enough to be a chunk of its own. */
function module(n: number, functions: number, revision = 0): string {
  const parts = [`// module ${n}: parsing helpers for feature ${n}`];
  for (let f = 0; f < functions; f++) {
    parts.push(
      [
        `export function parse${n}x${f}(input: string, strict: boolean): Map<string, number> {`,
        `  const words = input.trim().split(/\\s+/).filter((word) => word.length > ${f + revision});`,
        `  if (strict && words.some((word) => /[^a-z]/i.test(word))) throw new Error('module ${n} function ${f}: not a-z');`,
        `  const counts = new Map<string, number>();`,
        `  for (const word of words) counts.set(word, (counts.get(word) ?? 0) + ${n + f + 1});`,
        `  for (const [word, count] of counts) if (count > ${100 + f}) counts.delete(word);`,
        `  return counts; // feature ${n}, part ${f}`,
        `}`,
      ].join('\n'),
    );
  }
  return `${parts.join('\n\n')}\n`;
}

/** About 45 files: modules, one file twice under two paths (one blob), a binary and a lock file that are skipped. */
function projectFiles(): Record<string, string | Uint8Array> {
  const files: Record<string, string | Uint8Array> = {};
  for (let i = 0; i < 40; i++) files[`src/m${i}.ts`] = module(i, 1 + (i % 3));
  files['src/copy-of-m1.ts'] = module(1, 2);
  files['docs/guide.md'] = '# Guide\n\nHow the parsing helpers count words per feature.\n';
  files['assets/logo.bin'] = new Uint8Array([0, 1, 2, 3, 0, 255, 0, 7]);
  files['package-lock.json'] = '{"lockfileVersion": 3}\n';
  return files;
}

/**
 * `gitctx index --json`, in process unless `run` says otherwise: the runs that build the
 * database go through the real binary, where whatever LanceDB itself writes to stderr shows.
 */
async function indexJson(repo: TestRepo, args: readonly string[], server: FakeOpenAI, run = runCliInProcess): Promise<Record<string, unknown>> {
  const result = await run(['index', '--json', ...args], { cwd: repo.dir, env: envFor(server) });
  expect(result.code, result.stderr).toBe(0);
  expect(result.stderr).toBe('');
  return JSON.parse(result.stdout) as Record<string, unknown>;
}

describe('gitctx index --shard K/N across three machines', () => {
  const servers: FakeOpenAI[] = [];
  // One embedding server per machine, each counting what it was sent.
  let reference: FakeOpenAI;
  let shardServers: FakeOpenAI[];
  let merged: FakeOpenAI;
  beforeAll(async () => {
    for (let i = 0; i < 5; i++) servers.push(await startFakeOpenAI({ recordTexts: true }));
    [reference, merged] = [servers[0] as FakeOpenAI, servers[4] as FakeOpenAI];
    shardServers = servers.slice(1, 4);
  });
  afterAll(async () => {
    await Promise.all(servers.map((s) => s.close()));
  });

  it('embeds every missing blob exactly once in total, writes no database, and the merged caches index with zero requests', async () => {
    const origin = track(makeRepo({ files: projectFiles() }));

    // What one machine alone would embed.
    const whole = track(cloneRepo(origin));
    const single = await indexJson(whole, [], reference);
    const expectedTexts = sentTexts(reference).sort();
    expect(expectedTexts.length).toBe(single.embedded_chunks);
    expect(new Set(expectedTexts).size).toBe(expectedTexts.length);

    const clones = [1, 2, 3].map(() => track(cloneRepo(origin)));
    // A dry run of shard 1 plans exactly what its real run then does, and writes nothing.
    const plan = await indexJson(clones[0] as TestRepo, ['--shard', '1/3', '--dry-run'], shardServers[0] as FakeOpenAI);
    expect(plan).toMatchObject({ dry_run: true, shard: { k: 1, n: 3 } });
    expect(existsSync(join((clones[0] as TestRepo).dir, '.gitctx'))).toBe(false);
    expect((shardServers[0] as FakeOpenAI).requests).toHaveLength(0);

    // Three jobs at once, as CI runs them.
    const summaries = await Promise.all(clones.map((clone, i) => indexJson(clone, ['--shard', `${i + 1}/3`], shardServers[i] as FakeOpenAI)));
    summaries.forEach((summary, i) => expect(summary.shard).toEqual({ k: i + 1, n: 3 }));
    expect(summaries[0]).toMatchObject({ embedded_chunks: plan.embedded_chunks, tokens: plan.tokens, files: plan.files });
    for (const clone of clones) expect(existsSync(dbDir(clone))).toBe(false);

    // Each shard did part of the work, together all of it, and no chunk was sent twice.
    const perShard = shardServers.map(sentTexts);
    for (const texts of perShard) expect(texts.length).toBeGreaterThan(0);
    expect(perShard.flat().sort()).toEqual(expectedTexts);
    expect(summaries.reduce((n, s) => n + (s.embedded_chunks as number), 0)).toBe(single.embedded_chunks);
    expect(summaries.reduce((n, s) => n + (s.files as number), 0)).toBe(single.files);

    // Each blob's cache file was written by one shard only; together they are the whole cache.
    const shardCaches = clones.map(cacheFiles);
    const all = shardCaches.flat();
    expect(new Set(all).size).toBe(all.length);
    expect([...all].sort()).toEqual(cacheFiles(whole));
    // The two paths with the same bytes are one blob, in one shard.
    const copied = origin.git(['rev-parse', 'HEAD:src/copy-of-m1.ts']).trim();
    expect(origin.git(['rev-parse', 'HEAD:src/m1.ts']).trim()).toBe(copied);
    expect(all.filter((f) => blobOf(f) === copied)).toHaveLength(1);

    // The merge: a plain union of the three folders (no file exists twice, so none is overwritten).
    const final = track(cloneRepo(origin));
    for (const clone of clones) cpSync(embeddingsDir(clone), embeddingsDir(final), { recursive: true, force: false, errorOnExist: true });
    const verify = await runCliInProcess(['cache', 'verify', '--json'], { cwd: final.dir, env: envFor(merged) });
    expect(verify.code, verify.stderr).toBe(0);
    expect(JSON.parse(verify.stdout)).toMatchObject({ files: all.length, ok: all.length, bad: [] });

    const built = await indexJson(final, [], merged, runCli);
    expect(built).toMatchObject({ files: single.files, chunks: single.chunks, embedded_chunks: 0, tokens: 0, cache_hits: single.embedded_chunks });
    expect(merged.requests).toHaveLength(0);

    const search = await runCliInProcess(['search', 'count words for feature 7', '--format', 'json'], { cwd: final.dir, env: envFor(merged) });
    expect(search.code, search.stderr).toBe(0);
    expect(JSON.parse(search.stdout).results.length).toBeGreaterThan(0);

    // A shard of a repository the cache already covers embeds nothing and leaves the database alone.
    const dbBefore = filesUnder(dbDir(final)).map((f) => [f, statSync(f).mtimeMs, readFileSync(f).length]);
    const requestsBefore = merged.requests.length;
    const again = await indexJson(final, ['--shard', '2/3'], merged);
    expect(again).toMatchObject({ embedded_chunks: 0, tokens: 0, shard: { k: 2, n: 3 } });
    expect(again.cache_hits).toBeGreaterThan(0);
    expect(merged.requests.length).toBe(requestsBefore);
    expect(filesUnder(dbDir(final)).map((f) => [f, statSync(f).mtimeMs, readFileSync(f).length])).toEqual(dbBefore);
  }, MACHINES_TIMEOUT);

  it('splits history too: the shards\' caches are disjoint and a final --history run embeds nothing', async () => {
    const files = projectFiles();
    const origin = track(makeRepo({ files }));
    for (let i = 0; i < 12; i++) origin.write(`src/m${i}.ts`, module(i, 1 + (i % 3), 1));
    origin.commit('second revision of twelve modules');

    const clones = [1, 2, 3].map(() => track(cloneRepo(origin)));
    const summaries = await Promise.all(clones.map((clone, i) => indexJson(clone, ['--shard', `${i + 1}/3`, '--history', '-y'], shardServers[i] as FakeOpenAI)));
    for (const clone of clones) expect(existsSync(dbDir(clone))).toBe(false);
    const all = clones.flatMap(cacheFiles);
    expect(new Set(all).size).toBe(all.length);
    // Every blob of both commits that is indexed (not the binary or the lock file) has its one cache file.
    expect(all.length).toBe(summaries.reduce((n, s) => n + (s.blobs as number), 0));
    expect(all.length).toBe(41 + 12);

    const final = track(cloneRepo(origin));
    for (const clone of clones) cpSync(embeddingsDir(clone), embeddingsDir(final), { recursive: true, force: false, errorOnExist: true });
    const requestsBefore = merged.requests.length;
    const built = await indexJson(final, ['--history', '-y'], merged, runCli);
    expect(built).toMatchObject({ embedded_chunks: 0, blobs: all.length });
    expect(merged.requests.length).toBe(requestsBefore);
  }, MACHINES_TIMEOUT);

  it('refuses a bad --shard with exit 2 and one line, before touching anything', async () => {
    const repo = track(makeRepo({ files: { 'src/a.ts': module(1, 1) } }));
    // The parser's cases are in shard.test.ts; here, that the binary turns them into exit 2.
    const bad = ['4/3', '1/1025', 'a/b'];
    const results = await Promise.all(bad.map((value) => runCli(['index', '--shard', value], { cwd: repo.dir })));
    results.forEach((result, i) => {
      expect(result.code, bad[i]).toBe(2);
      expect(result.stdout).toBe('');
      expect(result.stderr.trimEnd().split('\n'), bad[i]).toHaveLength(1);
      expect(result.stderr).toMatch(/--shard takes K\/N/);
    });
    const missing = await runCli(['index', '--shard'], { cwd: repo.dir });
    expect(missing.code).toBe(2);
    expect(existsSync(join(repo.dir, '.gitctx'))).toBe(false);
  });
});
