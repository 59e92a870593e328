/**
 * Four `gitctx index` runs started at once on one repository (two are covered in
 * test/indexer): one embeds, the others wait for the lock and find nothing left to
 * pay for, and the index equals a clean sequential run's. Then the same with the
 * lock holder killed -9 while its request is in flight: the three waiters find a
 * stale lock, exactly one takes it over, and the index is still the clean one.
 */
import { existsSync, readFileSync } from 'node:fs';
import type { ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { prng } from '../helpers/cache-data.js';
import type { CliResult } from '../helpers/cli.js';
import { startFakeOpenAI } from '../helpers/fake-openai-server.js';
import type { FakeOpenAI } from '../helpers/fake-openai-server.js';
import { cloneRepo, makeRepo } from '../helpers/git-repo.js';
import type { TestRepo } from '../helpers/git-repo.js';
import {
  apiEnv,
  commitSources,
  duplicateKeys,
  filesContaining,
  gitctxDir,
  inspectCache,
  moduleSource,
  readMeta,
  rowFingerprints,
  RunRecorder,
  SECRET_KEY,
  tableRows,
} from './support.js';

const RUNS = 4;
const KILL_ROUNDS = 2;
const DELAY_MS = 300;
/** Long enough that the 5 ms watcher always kills the holder while its request is in flight, even on a loaded machine. */
const KILL_DELAY_MS = 800;

interface Summary {
  files: number;
  chunks: number;
  embedded_chunks: number;
}

describe(`${RUNS} concurrent gitctx index runs`, () => {
  let server: FakeOpenAI;
  let origin: TestRepo;
  let cleanRows: Map<string, string>;
  let key: { model: string; dims: number; chunker: string };
  const recorder = new RunRecorder();
  const repos: TestRepo[] = [];
  const env = () => apiEnv(server.baseUrl);

  beforeAll(async () => {
    server = await startFakeOpenAI({ apiKey: SECRET_KEY });
    const random = prng(0xc0c0);
    origin = makeRepo();
    repos.push(origin);
    for (let i = 0; i < 30; i++) origin.write(`src/pkg${i % 5}/file${i}.ts`, moduleSource(random, `file${i}`, 3));
    commitSources(origin, 'sources');
    // The reference: one run alone in a fresh clone.
    const clean = fresh();
    const run = await recorder.run(['index', '--json'], { cwd: clean.dir, env: env() });
    expect(run.code, run.stderr).toBe(0);
    cleanRows = rowFingerprints(await tableRows(clean));
    const meta = readMeta(clean)!;
    key = { model: meta.model, dims: meta.dims, chunker: meta.chunker };
    server.setDelay(DELAY_MS);
  });
  afterAll(async () => {
    await server.close();
    for (const repo of repos) repo.cleanup();
    expect(recorder.leaks()).toEqual([]);
  });

  function fresh(): TestRepo {
    const repo = cloneRepo(origin);
    repos.push(repo);
    return repo;
  }

  async function expectCleanIndex(repo: TestRepo, survivors: readonly CliResult[]): Promise<Summary[]> {
    const summaries = survivors.map((r) => JSON.parse(r.stdout) as Summary);
    const rows = await tableRows(repo);
    expect(duplicateKeys(rows)).toEqual([]);
    expect(rowFingerprints(rows)).toEqual(cleanRows);
    for (const s of summaries) expect(s).toMatchObject({ files: 30, chunks: cleanRows.size });
    // The one run that embedded paid for everything; the others found it all done.
    expect(summaries.filter((s) => s.embedded_chunks > 0)).toHaveLength(1);
    expect(summaries.reduce((n, s) => n + s.embedded_chunks, 0)).toBe(cleanRows.size);
    const cache = await inspectCache(repo, key);
    expect(cache.broken).toEqual([]);
    expect(cache.blobs).toHaveLength(30);
    expect(existsSync(join(gitctxDir(repo), 'index.lock'))).toBe(false);
    expect(existsSync(join(gitctxDir(repo), 'index.lock.break.tmp'))).toBe(false);
    expect(filesContaining(gitctxDir(repo))).toEqual([]);
    return summaries;
  }

  it('all exit 0, one embeds, one request is paid, and the index equals a clean run', async () => {
    const repo = fresh();
    const before = server.requests.length;
    const results = await Promise.all(Array.from({ length: RUNS }, () => recorder.run(['index', '--json'], { cwd: repo.dir, env: env() })));
    for (const r of results) expect(r.code, r.stderr).toBe(0);
    await expectCleanIndex(repo, results);
    expect(server.requests.length - before).toBe(1);
    const waited = results.filter((r) => /waiting for \.gitctx\/index\.lock, held by pid \d+ on /.test(r.stderr)).length;
    console.log(`${RUNS} concurrent runs: all exit 0, ${waited} waited for the lock, 1 request paid (a clean run pays 1), ${cleanRows.size} rows as a clean run`);
  });

  it(`holder killed -9 mid-request (${KILL_ROUNDS} rounds): one waiter takes over the stale lock, the index equals a clean run`, async () => {
    server.setDelay(KILL_DELAY_MS);
    try {
      for (let round = 0; round < KILL_ROUNDS; round++) await killRound(round);
    } finally {
      server.setDelay(DELAY_MS);
    }
  });

  /** Four runs at once; the moment the first request reaches the (slow) server, whoever holds the lock is killed. */
  async function killRound(round: number): Promise<void> {
    const repo = fresh();
    const lock = join(gitctxDir(repo), 'index.lock');
    const before = server.requests.length;
    const children: ChildProcess[] = [];
    let killed = 0;
    let inFlight = false;
    const watch = setInterval(() => {
      if (killed !== 0 || server.requests.length === before) return;
      let text: string;
      try {
        text = readFileSync(lock, 'utf8');
      } catch (err) {
        // Released between two looks: try again on the next tick.
        if ((err as NodeJS.ErrnoException).code === 'ENOENT') return;
        throw err;
      }
      killed = (JSON.parse(text) as { pid: number }).pid;
      inFlight = server.requests.slice(before).every((r) => r.doneAt === undefined);
      process.kill(killed, 'SIGKILL');
    }, 5);
    let results: CliResult[];
    try {
      results = await Promise.all(
        Array.from({ length: RUNS }, () => recorder.run(['index', '--json'], { cwd: repo.dir, env: env(), onSpawn: (c) => children.push(c) })),
      );
    } finally {
      clearInterval(watch);
    }
    const victim = children.findIndex((c) => c.pid === killed);
    expect(victim, `round ${round}: the lock holder was one of ours`).toBeGreaterThanOrEqual(0);
    expect(results[victim]?.signal).toBe('SIGKILL');
    expect(inFlight, `round ${round}: killed before its reply`).toBe(true);
    const survivors = results.filter((_, i) => i !== victim);
    for (const r of survivors) expect(r.code, r.stderr).toBe(0);
    await expectCleanIndex(repo, survivors);
    // The killed run's request and the taker's; nobody else paid.
    expect(server.requests.length - before).toBe(2);
    console.log(`round ${round}: holder pid ${killed} killed with its request in flight; ${survivors.length} survivors exit 0, 1 re-embedded, 2 requests in all`);
  }
});
