/**
 * kill -9 of `gitctx index` at seeded random moments, again and again on one
 * repository that keeps changing, against a slow fake OpenAI server. After every
 * kill: every cache file decodes, temp files belong to killed runs and git ignores
 * them, a lock left behind names a killed run, and the index (when readable) holds
 * no duplicate row. After the last kill one ordinary run must leave exactly what a
 * clean run in a fresh clone builds: the same rows and vectors, byte-identical cache
 * files, the same search results.
 *
 * Only the kill moments come from the clock (a fraction, drawn from the seeded PRNG,
 * of how long one full run took here); every assertion is about state.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { prng } from '../helpers/cache-data.js';
import { startFakeOpenAI } from '../helpers/fake-openai-server.js';
import type { FakeOpenAI, RecordedRequest } from '../helpers/fake-openai-server.js';
import { cloneRepo, makeRepo } from '../helpers/git-repo.js';
import type { TestRepo } from '../helpers/git-repo.js';
import {
  apiEnv,
  commitSources,
  duplicateKeys,
  filesContaining,
  functionSource,
  gitctxDir,
  inspectCache,
  readMeta,
  rowFingerprints,
  RunRecorder,
  SECRET_KEY,
  snapshot,
  tableRows,
} from './support.js';

const SEED = 0x5eed0c7d;
/**
 * Twelve kills spread over the three phases (before the request, in flight, writing cache and index) as
 * the 24 this once took did, each still followed by every check; the second twelve repeated the same
 * phases at other moments for as much time again as the rest of a file's end-to-end tests.
 */
const KILLS = 12;
const MAX_RUNS = 30;
const FILES = 30;
/** One request carries a whole small run (the CLI batches up to 2,048 inputs), so it is slow enough to be caught in flight. */
const DELAY_MS = 300;
const QUERIES = ['refund payment ledger balance', 'retry backoff timeout signal', 'sensor telemetry battery voltage'];

type Phase = 'before the request' | 'request in flight' | 'after the reply';

function phaseOf(requests: readonly RecordedRequest[]): Phase {
  if (requests.length === 0) return 'before the request';
  return requests.some((r) => r.doneAt === undefined) ? 'request in flight' : 'after the reply';
}

/** The repository as functions per file, so an edit can change exactly one function. */
class Sources {
  readonly files = new Map<string, string[]>();
  private next = 0;

  constructor(private readonly repo: TestRepo, private readonly random: () => number) {}

  add(): string {
    const id = this.next++;
    const path = `src/${['billing', 'net', 'space', 'core'][id % 4]}/mod${id}.ts`;
    const count = 2 + Math.floor(this.random() * 3);
    this.files.set(path, Array.from({ length: count }, (_, f) => functionSource(this.random, `m${id}_f${f}`)));
    this.write(path);
    return path;
  }

  editOne(): string {
    const path = this.pickPath();
    const fns = this.files.get(path) as string[];
    const at = Math.floor(this.random() * fns.length);
    fns[at] = functionSource(this.random, `m${path.replace(/\D/g, '')}_f${at}_v${this.next++}`);
    this.write(path);
    return path;
  }

  remove(): string {
    const path = this.pickPath();
    this.files.delete(path);
    this.repo.rm(path);
    return path;
  }

  rename(): string {
    const from = this.pickPath();
    const to = from.replace(/\.ts$/, `_moved${this.next++}.ts`);
    this.repo.git(['mv', from, to]);
    this.files.set(to, this.files.get(from) as string[]);
    this.files.delete(from);
    return to;
  }

  private pickPath(): string {
    const paths = [...this.files.keys()].sort();
    return paths[Math.floor(this.random() * paths.length)] as string;
  }

  private write(path: string): void {
    this.repo.write(path, `// ${path}\n\n${(this.files.get(path) as string[]).join('\n\n')}\n`);
  }
}

/** Paths `git status` would show under .gitctx: only the cache and its .gitignore may ever be committable. */
function visibleGitctxPaths(repo: TestRepo): string[] {
  return repo
    .git(['status', '--porcelain', '--untracked-files=all', '--', '.gitctx'])
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => line.slice(3))
    .filter((path) => path !== '.gitctx/.gitignore' && !/^\.gitctx\/embeddings\/.+\.safetensors\.zst$/.test(path));
}

describe('kill -9 of gitctx index at random moments, then resume', () => {
  let server: FakeOpenAI;
  const recorder = new RunRecorder();
  const repos: TestRepo[] = [];
  beforeAll(async () => {
    server = await startFakeOpenAI({ apiKey: SECRET_KEY, delayMs: DELAY_MS });
  });
  afterAll(async () => {
    await server.close();
    for (const repo of repos) repo.cleanup();
  });

  it(`${KILLS} kills (seed 0x${SEED.toString(16)}), each followed by a valid cache and index, and the resumed index equals a clean run's`, async () => {
    const random = prng(SEED);
    // Its own stream, so how many runs finish early does not change the moments drawn after them.
    const moments = prng(SEED ^ 0x9e3779b9);
    const repo = makeRepo();
    repos.push(repo);
    const sources = new Sources(repo, random);
    for (let i = 0; i < FILES; i++) sources.add();
    commitSources(repo, 'initial sources');
    const env = apiEnv(server.baseUrl);

    // How long one full run takes on this machine (kill moments are fractions of it), and what cache files carry.
    const calibration = cloneRepo(repo);
    repos.push(calibration);
    const calibrationStart = performance.now();
    const calibrated = await recorder.run(['index', '--json'], { cwd: calibration.dir, env });
    let fullRunMs = performance.now() - calibrationStart;
    const calibratedMs = fullRunMs;
    expect(calibrated.code, calibrated.stderr).toBe(0);
    const meta = readMeta(calibration);
    expect(meta).toBeDefined();
    const key = { model: meta!.model, dims: meta!.dims, chunker: meta!.chunker };

    const kills: { run: number; atMs: number; phase: Phase; changes: string }[] = [];
    const killedPids = new Set<number>();
    let completed = 0;
    let unreadableDb = 0;
    let maxTemps = 0;
    let staleLocks = 0;
    const requestsBefore = server.requests.length;
    const inputsBefore = server.requests.reduce((n, r) => n + r.inputs, 0);
    const loopStart = performance.now();
    let runs = 0;
    for (; kills.length < KILLS && runs < MAX_RUNS; runs++) {
      let changes = 'initial index';
      if (runs > 0) {
        const touched = [sources.editOne(), sources.add()];
        if (runs % 4 === 0) touched.push(`-${sources.remove()}`);
        if (runs % 5 === 0) touched.push(`~${sources.rename()}`);
        commitSources(repo, `change ${runs}`);
        changes = touched.join(' ');
      }
      const atMs = Math.round(moments() * 0.95 * fullRunMs);
      const before = server.requests.length;
      const spawnedAt = performance.now();
      let phase: Phase | undefined;
      let pid = 0;
      const result = await recorder.run(['index', '--json'], {
        cwd: repo.dir,
        env,
        onSpawn: (child) => {
          pid = child.pid ?? 0;
          const timer = setTimeout(() => {
            if (child.exitCode !== null || child.signalCode !== null) return;
            phase = phaseOf(server.requests.slice(before));
            child.kill('SIGKILL');
          }, atMs);
          child.on('exit', () => clearTimeout(timer));
        },
      });
      if (result.signal === 'SIGKILL') {
        kills.push({ run: runs, atMs, phase: phase ?? 'after the reply', changes });
        killedPids.add(pid);
      } else {
        expect(result.code, result.stderr).toBe(0);
        completed += 1;
        // A run that beat its moment shows runs are quicker now than the calibration was (a loaded
        // machine then, or less work now): later moments scale to it, so the loop still gets its kills.
        fullRunMs = Math.min(fullRunMs, performance.now() - spawnedAt);
      }

      // The state a kill leaves must already be safe: for the next run, for git, for a search in between.
      const cache = await inspectCache(repo, key);
      expect(cache.broken, `run ${runs}: undecodable cache files`).toEqual([]);
      expect(cache.strays, `run ${runs}: unexpected files in the cache`).toEqual([]);
      for (const temp of cache.temps) expect(killedPids, `run ${runs}: temp file ${temp.path} of a live run`).toContain(temp.pid);
      maxTemps = Math.max(maxTemps, cache.temps.length);
      const lock = join(gitctxDir(repo), 'index.lock');
      if (existsSync(lock)) {
        // Left by the kill; the next run must take it over (it names a dead pid), or it would wait ten minutes.
        expect(killedPids, `run ${runs}: lock of a live run`).toContain(JSON.parse(readFileSync(lock, 'utf8')).pid);
        staleLocks += 1;
      }
      const visible = visibleGitctxPaths(repo).filter(
        // Before the first .gitignore is in place, its own temp file is the one thing git can see.
        (path) => !(existsSync(join(gitctxDir(repo), '.gitignore')) === false && /^\.gitctx\/\.\.gitignore\.\d+\.[0-9a-f]+\.tmp$/.test(path)),
      );
      expect(visible, `run ${runs}: git would commit these`).toEqual([]);
      if (readMeta(repo) !== undefined) {
        let rows;
        try {
          rows = await tableRows(repo);
        } catch (err) {
          // Killed while the database was being created or rewritten: the next run rebuilds it from the cache.
          expect(String(err)).not.toContain(SECRET_KEY);
          unreadableDb += 1;
        }
        if (rows) expect(duplicateKeys(rows), `run ${runs}: duplicate rows`).toEqual([]);
      }
    }
    const loopMs = performance.now() - loopStart;
    expect(kills.length).toBe(KILLS);

    const resumed = await recorder.run(['index', '--json'], { cwd: repo.dir, env });
    expect(resumed.code, resumed.stderr).toBe(0);
    expect(resumed.stderr).not.toMatch(/ignoring cache file/);
    const requestsMade = server.requests.length - requestsBefore;
    const inputsSent = server.requests.reduce((n, r) => n + r.inputs, 0) - inputsBefore;

    const clean = cloneRepo(repo);
    repos.push(clean);
    const cleanBefore = server.requests.length;
    const cleanRun = await recorder.run(['index', '--json'], { cwd: clean.dir, env });
    expect(cleanRun.code, cleanRun.stderr).toBe(0);
    const cleanRequests = server.requests.slice(cleanBefore);
    const cleanSummary = JSON.parse(cleanRun.stdout);
    const resumedSummary = JSON.parse(resumed.stdout);
    expect(resumedSummary).toMatchObject({ files: cleanSummary.files, blobs: cleanSummary.blobs, chunks: cleanSummary.chunks });

    const rows = await tableRows(repo);
    const cleanRows = await tableRows(clean);
    expect(duplicateKeys(rows)).toEqual([]);
    expect(rows.length).toBe(cleanRows.length);
    expect(rowFingerprints(rows)).toEqual(rowFingerprints(cleanRows));
    expect(readMeta(repo)?.indexed_commit).toBe(repo.head());

    // Every cache file the clean run wrote exists, byte for byte, in the killed-and-resumed repository.
    const cleanCache = snapshot(join(gitctxDir(clean), 'embeddings'));
    const cache = snapshot(join(gitctxDir(repo), 'embeddings'));
    for (const [path, bytes] of cleanCache) expect(cache.get(path)?.equals(bytes), path).toBe(true);
    const inspected = await inspectCache(repo, key);
    expect(inspected.broken).toEqual([]);
    for (const temp of inspected.temps) expect(killedPids).toContain(temp.pid);
    expect(existsSync(join(gitctxDir(repo), 'index.lock'))).toBe(false);
    expect(readFileSync(join(gitctxDir(repo), '.gitignore'), 'utf8')).toMatch(/^\*\.tmp$/m);
    expect(visibleGitctxPaths(repo)).toEqual([]);

    for (const query of QUERIES) {
      const mine = await recorder.run(['search', '--format', 'json', query], { cwd: repo.dir, env });
      const theirs = await recorder.run(['search', '--format', 'json', query], { cwd: clean.dir, env });
      expect(mine.code, mine.stderr).toBe(0);
      expect(JSON.parse(mine.stdout).results.length).toBeGreaterThan(0);
      expect(mine.stdout, query).toBe(theirs.stdout);
    }

    // Temp files of killed writes are git-ignored and never read; `cache prune` is what removes them.
    const leftTemps = inspected.temps.length;
    const prune = await recorder.run(['cache', 'prune'], { cwd: repo.dir, env });
    expect(prune.code, prune.stderr).toBe(0);
    const pruned = await inspectCache(repo, key);
    expect(pruned.temps).toEqual([]);
    expect(pruned.broken).toEqual([]);
    const afterPrune = snapshot(join(gitctxDir(repo), 'embeddings'));
    for (const [path, bytes] of cleanCache) expect(afterPrune.get(path)?.equals(bytes), path).toBe(true);

    expect(recorder.leaks()).toEqual([]);
    expect(filesContaining(gitctxDir(repo))).toEqual([]);
    expect(filesContaining(gitctxDir(clean))).toEqual([]);

    const byPhase = (p: Phase) => kills.filter((k) => k.phase === p).length;
    console.log(
      [
        `kill -9 loop: seed 0x${SEED.toString(16)}, full run ${Math.round(calibratedMs)} ms here (moments scaled to ${Math.round(fullRunMs)} ms at the end), server delay ${DELAY_MS} ms per request`,
        `  kill moments (ms after spawn): ${kills.map((k) => k.atMs).join(', ')}`,
        `  ${runs} runs: ${kills.length} killed (${byPhase('before the request')} before the request, ${byPhase('request in flight')} with the request in flight, ${byPhase('after the reply')} after the reply, writing cache and index), ${completed} finished before their moment`,
        `  after kills: ${staleLocks} stale locks left (each taken over by the next run), index unreadable ${unreadableDb} times (rebuilt by the next run), at most ${maxTemps} temp files of killed runs in the cache (git-ignored), ${leftTemps} at the end, removed by \`gitctx cache prune\``,
        `  requests: ${requestsMade} (${inputsSent} inputs) for the loop and the resume, against ${cleanRequests.length} (${cleanRequests.reduce((n, r) => n + r.inputs, 0)} inputs) for a clean run of the final commit`,
        `  ${Math.round(loopMs / runs)} ms per run on average; resumed index: ${rows.length} rows, identical to the clean run's; ${QUERIES.length} searches identical`,
      ].join('\n'),
    );
    // About 13 index runs and a clean run: about 25 s alone on two cores, more beside other test files.
  }, 180_000);
});
