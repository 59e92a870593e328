/**
 * Index benchmarks, each running the built `gitctx` binary as a user would, under
 * /usr/bin/time for peak RSS, with figures beside `node -e 0` measured in the same run:
 * - scale: generated repositories of 5,000, 20,000 and 100,000 files of about 2 KB
 *   (`GITCTX_BENCH_FILES=5000,20000` to choose; `GITCTX_BENCH_MODELS=local-v1,local-v2`
 *   to measure models other than the default), cold index, no-op re-run, a rebuild
 *   of the database from the cache, then runs after commits that change one file and 1% of
 *   the files, with the JS heap's share of the peak; and LanceDB alone writing and indexing as
 *   many rows (lancedb-alone.ts), the floor under the rebuild;
 * - a real repository we did not write: the published source of zod (as installed in
 *   node_modules), committed into a temp git repository, and a ~10,000-file one made of
 *   several published packages (`GITCTX_BENCH_SCALE_ONLY=1` skips these two).
 * `GITCTX_BENCH_BIN=/path/to/cli/main.js` measures another build of gitctx.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { writeSyntheticRepo } from './synthetic-repo.js';

const here = dirname(fileURLToPath(import.meta.url));
const root = resolve(here, '..', '..');
/** The gitctx under test; GITCTX_BENCH_BIN points at another build (an older commit's) to compare. */
const bin = process.env.GITCTX_BENCH_BIN ?? join(root, 'dist', 'cli', 'main.js');
const SOURCE_PACKAGE = 'zod';

interface Timed {
  seconds: number;
  maxRssMb: number | undefined;
  stdout: string;
}

const hasTime = existsSync('/usr/bin/time');

function timed(command: string, args: readonly string[], cwd: string, extraEnv: Record<string, string> = {}): Timed {
  const started = performance.now();
  const env = { ...process.env, NO_COLOR: '1', ...extraEnv };
  const result = hasTime
    ? spawnSync('/usr/bin/time', ['-f', '%M', command, ...args], { cwd, encoding: 'utf8', env, maxBuffer: 64 * 1024 * 1024 })
    : spawnSync(command, args, { cwd, encoding: 'utf8', env, maxBuffer: 64 * 1024 * 1024 });
  const seconds = (performance.now() - started) / 1000;
  if (result.status !== 0) throw new Error(`${command} ${args.join(' ')} failed: ${result.stderr}`);
  const rssKb = hasTime ? Number(result.stderr.trim().split('\n').pop()) : Number.NaN;
  return { seconds, maxRssMb: Number.isFinite(rssKb) ? rssKb / 1024 : undefined, stdout: result.stdout };
}

function git(cwd: string, args: readonly string[]): string {
  return execFileSync('git', args, {
    cwd,
    encoding: 'utf8',
    // `ls-tree` of 100,000 paths is several MB.
    maxBuffer: 1024 * 1024 * 1024,
    env: { ...process.env, GIT_AUTHOR_DATE: '@1704067200 +0000', GIT_COMMITTER_DATE: '@1704067200 +0000' },
  });
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? Number.NaN;
}

function countFiles(dir: string): number {
  let n = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (entry.name === '.git' || entry.name === '.gitctx') continue;
    n += entry.isDirectory() ? countFiles(join(dir, entry.name)) : 1;
  }
  return n;
}

/** The largest TypeScript source file, for the one-function edit. */
function largestSource(dir: string): string {
  const files = git(dir, ['ls-files', '*.ts']).split('\n').filter((f) => f.endsWith('.ts') && !f.endsWith('.d.ts'));
  return files.sort((a, b) => statSync(join(dir, b)).size - statSync(join(dir, a)).size)[0] as string;
}

export default async function bench(): Promise<void> {
  await scaleRepositories();
  if (process.env.GITCTX_BENCH_SCALE_ONLY === '1') return;
  await realRepository();
  await largeRepository();
}

/**
 * Loaded into each measured `gitctx` process (NODE_OPTIONS=--require): samples
 * process.memoryUsage() every 20 ms and, at exit, writes the peaks to the file named
 * by GITCTX_BENCH_MEMORY_OUT, so the peak RSS can be split into the JS heap and the
 * rest (LanceDB's native allocations, Arrow buffers, code). Sampling may miss a short
 * spike; /usr/bin/time's figure is the exact peak RSS.
 */
const MEMORY_SAMPLER = `
const { writeFileSync } = require('node:fs');
const out = process.env.GITCTX_BENCH_MEMORY_OUT;
if (out) {
  const peak = { rss: 0, heapUsed: 0, heapTotal: 0, external: 0, arrayBuffers: 0 };
  const sample = () => { const m = process.memoryUsage(); for (const k of Object.keys(peak)) peak[k] = Math.max(peak[k], m[k]); };
  setInterval(sample, 20).unref();
  process.on('exit', () => { sample(); writeFileSync(out, JSON.stringify(peak)); });
}
`;

interface MemoryPeaks {
  rss: number;
  heapUsed: number;
  heapTotal: number;
  external: number;
  arrayBuffers: number;
}

function sizesWanted(): number[] {
  const spec = process.env.GITCTX_BENCH_FILES ?? '5000,20000,100000';
  return spec.split(',').map((s) => Number(s.trim())).filter((n) => Number.isSafeInteger(n) && n > 0);
}

/**
 * Appends a line to `count` files spread over the repository and commits them, through
 * `git fast-import` like the repository itself (it has no work tree); the first one's path.
 */
function changeFiles(dir: string, count: number, what: string): string {
  const paths = git(dir, ['ls-tree', '-r', '--name-only', 'HEAD']).split('\n').filter((p) => p !== '');
  const step = Math.max(1, Math.floor(paths.length / count));
  const changed = Array.from({ length: count }, (_, i) => paths[(i * step + 7) % paths.length] as string);
  const contents = changed.map((path) => execFileSync('git', ['cat-file', 'blob', `HEAD:${path}`], { cwd: dir }));
  const data = (bytes: Buffer) => Buffer.concat([Buffer.from(`data ${bytes.length}\n`), bytes, Buffer.from('\n')]);
  const input = Buffer.concat([
    Buffer.from(`commit refs/heads/main\ncommitter bench <bench@example.com> 1704067300 +0000\n`),
    data(Buffer.from(`change ${what}`)),
    Buffer.from('from refs/heads/main^0\n'),
    ...changed.flatMap((path, i) => [
      Buffer.from(`M 100644 inline ${path}\n`),
      data(Buffer.concat([contents[i] as Buffer, Buffer.from(`\n// ${what}: flush the pending rows before closing\n`)])),
    ]),
    Buffer.from('done\n'),
  ]);
  execFileSync('git', ['fast-import', '--quiet', '--done'], { cwd: dir, input });
  return changed[0] as string;
}

/**
 * LanceDB alone writing and indexing as many synthetic rows as the index of `dir` holds, of its
 * dimensions and mean chunk length (lancedb-alone.ts), in a process measured like gitctx's.
 */
function lancedbAlone(dir: string, work: string, rows: number, env: Record<string, string>): Timed & { peaks: MemoryPeaks; detail: string } {
  const { dims } = JSON.parse(readFileSync(join(dir, '.gitctx', 'db', 'meta.json'), 'utf8')) as { dims: number };
  const bytes = git(dir, ['ls-tree', '-r', '-l', 'HEAD']).split('\n').reduce((sum, line) => sum + (Number(line.split(/\s+/)[3]) || 0), 0);
  const textBytes = Math.round(bytes / Math.max(1, rows));
  const db = join(work, 'lancedb-alone');
  rmSync(db, { recursive: true, force: true });
  try {
    const t = timed(process.execPath, [join(here, 'lancedb-alone.js'), 'write', db, String(rows), String(dims), String(textBytes)], work, env);
    const peaks = JSON.parse(readFileSync(env.GITCTX_BENCH_MEMORY_OUT as string, 'utf8')) as MemoryPeaks;
    return { ...t, peaks, detail: `${rows} rows of ${dims} dims and about ${textBytes} bytes of text` };
  } finally {
    rmSync(db, { recursive: true, force: true });
  }
}

/** What the last run left for a later maintenance (maintenance.ts), from meta.json. */
function pendingOf(dir: string): string {
  const meta = JSON.parse(readFileSync(join(dir, '.gitctx', 'db', 'meta.json'), 'utf8')) as { pending_changes?: { rows: number } };
  return meta.pending_changes === undefined ? 'table maintained' : `maintenance left for later (${meta.pending_changes.rows} rows changed since)`;
}

/** Cold index, no-op re-run, rebuild from the cache, then one file and 1% of the files changed, of generated repositories, per model. */
async function scaleRepositories(): Promise<void> {
  const models = (process.env.GITCTX_BENCH_MODELS ?? 'local').split(',').map((m) => m.trim()).filter((m) => m !== '');
  const work = mkdtempSync(join(tmpdir(), 'gitctx-bench-scale-'));
  try {
    const sampler = join(work, 'memory-sampler.cjs');
    writeFileSync(sampler, MEMORY_SAMPLER);
    const peaksFile = join(work, 'peaks.json');
    const nodeRuns = Array.from({ length: 5 }, () => timed(process.execPath, ['-e', '0'], work));
    const nodeStart = median(nodeRuns.map((t) => t.seconds));
    const nodeRss = median(nodeRuns.map((t) => t.maxRssMb ?? Number.NaN));
    const out = process.stdout;
    out.write(`Generated repositories: files of about 2 KB (TypeScript, Python, Go, Rust, Markdown), one commit; one run each.\n`);
    out.write(`Baseline: \`node -e 0\`, median of 5: ${(nodeStart * 1000).toFixed(0)} ms, peak RSS ${nodeRss.toFixed(0)} MB.\n`);
    out.write('JS heap and buffers: sampled peaks of heapUsed and arrayBuffers; the rest of the peak RSS is native (LanceDB, Arrow in Rust) and code.\n\n');
    out.write('| model | files | case | seconds | peak RSS MB | vs node -e 0 RSS | JS heap MB | buffers MB | detail |\n| --- | ---: | --- | ---: | ---: | ---: | ---: | ---: | --- |\n');
    for (const files of sizesWanted()) {
      const dir = join(work, `repo-${files}`);
      git(work, ['init', '-q', '-b', 'main', dir]);
      const generated = performance.now();
      await writeSyntheticRepo(dir, files);
      const generateSeconds = (performance.now() - generated) / 1000;
      for (const model of models) {
        const env: Record<string, string> = {
          GITCTX_MODEL__EMBEDDING: model,
          GITCTX_BENCH_MEMORY_OUT: peaksFile,
          NODE_OPTIONS: `${process.env.NODE_OPTIONS ?? ''} --require ${sampler}`.trim(),
        };
        const run = () => {
          const t = timed(process.execPath, [bin, 'index', '--json'], dir, env);
          const peaks = JSON.parse(readFileSync(peaksFile, 'utf8')) as MemoryPeaks;
          return { ...t, peaks, summary: JSON.parse(t.stdout) as { files: number; chunks: number; embedded_chunks: number; cache_hits: number } };
        };
        rmSync(join(dir, '.gitctx'), { recursive: true, force: true });
        const cold = run();
        const noop = run();
        rmSync(join(dir, '.gitctx', 'db'), { recursive: true, force: true });
        const rebuild = run();
        const row = (name: string, r: ReturnType<typeof run>, detail: string) => {
          const rss = r.maxRssMb ?? r.peaks.rss / 2 ** 20;
          out.write(
            `| ${model} | ${files} | ${name} | ${r.seconds.toFixed(1)} | ${rss.toFixed(0)} | ${(rss / nodeRss).toFixed(1)}x | ${(r.peaks.heapUsed / 2 ** 20).toFixed(0)} | ${(r.peaks.arrayBuffers / 2 ** 20).toFixed(0)} | ${detail} |\n`,
          );
        };
        row('cold index', cold, `${cold.summary.files} files, ${cold.summary.chunks} chunks, ${cold.summary.embedded_chunks} embedded (repo generated in ${generateSeconds.toFixed(1)} s)`);
        row('no-op re-run', noop, `${noop.summary.embedded_chunks} embedded`);
        row('rebuild db from cache', rebuild, `${rebuild.summary.cache_hits} chunks from the cache, ${rebuild.summary.embedded_chunks} embedded`);
        const floor = lancedbAlone(dir, work, rebuild.summary.chunks, env);
        row('LanceDB alone, as many rows', { ...floor, summary: rebuild.summary }, `${floor.detail}: the floor under a rebuild (lancedb-alone.ts)`);
        const oneFile = changeFiles(dir, 1, 'one');
        const edit = run();
        const editPending = pendingOf(dir);
        changeFiles(dir, Math.max(1, Math.round(files / 100)), 'one percent');
        const percent = run();
        const percentPending = pendingOf(dir);
        row('one file changed', edit, `${oneFile}: ${edit.summary.embedded_chunks} embedded, ${editPending}`);
        row('1% of files changed', percent, `${percent.summary.embedded_chunks} embedded, ${percentPending}`);
      }
      rmSync(dir, { recursive: true, force: true });
    }
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

/** The published source of zod, committed: cold, no-op, rebuild and a one-function edit. */
async function realRepository(): Promise<void> {
  const source = join(root, 'node_modules', SOURCE_PACKAGE);
  const version = (JSON.parse(readFileSync(join(source, 'package.json'), 'utf8')) as { version: string }).version;
  const dir = mkdtempSync(join(tmpdir(), 'gitctx-bench-index-'));
  try {
    cpSync(source, dir, { recursive: true });
    git(dir, ['init', '-q', '-b', 'main']);
    git(dir, ['add', '-A']);
    git(dir, ['-c', 'user.name=bench', '-c', 'user.email=bench@example.com', 'commit', '-q', '-m', 'import']);
    const files = countFiles(dir);

    const nodeStart = median(Array.from({ length: 5 }, () => timed(process.execPath, ['-e', '0'], dir).seconds));
    const cold = timed(process.execPath, [bin, 'index', '--json'], dir);
    const coldSummary = JSON.parse(cold.stdout) as { files: number; chunks: number; embedded_chunks: number };
    const noop = Array.from({ length: 3 }, () => timed(process.execPath, [bin, 'index', '--json'], dir));
    rmSync(join(dir, '.gitctx', 'db'), { recursive: true, force: true });
    const rebuild = timed(process.execPath, [bin, 'index', '--json'], dir);
    const rebuildSummary = JSON.parse(rebuild.stdout) as { embedded_chunks: number; cache_hits: number };

    const target = largestSource(dir);
    const lines = readFileSync(join(dir, target), 'utf8').split('\n');
    const middle = Math.floor(lines.length / 2);
    lines.splice(middle, 0, '// an edit inside one function');
    writeFileSync(join(dir, target), lines.join('\n'));
    git(dir, ['-c', 'user.name=bench', '-c', 'user.email=bench@example.com', 'commit', '-q', '-am', 'edit one function']);
    const edit = timed(process.execPath, [bin, 'index', '--json'], dir);
    const editSummary = JSON.parse(edit.stdout) as { embedded_chunks: number; cache_hits: number };

    const mb = (t: Timed) => (t.maxRssMb === undefined ? 'n/a' : t.maxRssMb.toFixed(0));
    const x = (seconds: number) => `${(seconds / nodeStart).toFixed(1)}x`;
    const out = process.stdout;
    out.write(`Repository: ${SOURCE_PACKAGE}@${version} as published (${files} files), local provider, one run each (no-op: median of 3).\n`);
    out.write(`Baseline: \`node -e 0\` start to exit, median of 5: ${(nodeStart * 1000).toFixed(0)} ms.\n\n`);
    out.write('| case | seconds | vs node -e 0 | peak RSS MB | detail |\n| --- | ---: | ---: | ---: | --- |\n');
    out.write(
      `| cold index | ${cold.seconds.toFixed(2)} | ${x(cold.seconds)} | ${mb(cold)} | ${coldSummary.files} files indexed, ${(coldSummary.files / cold.seconds).toFixed(0)} files/s, ${coldSummary.chunks} chunks, ${(coldSummary.chunks / cold.seconds).toFixed(0)} chunks/s |\n`,
    );
    const noopMedian = median(noop.map((t) => t.seconds));
    out.write(`| no-op re-run | ${noopMedian.toFixed(2)} | ${x(noopMedian)} | ${mb(noop[0] as Timed)} | nothing embedded, nothing written |\n`);
    out.write(
      `| rebuild db from cache | ${rebuild.seconds.toFixed(2)} | ${x(rebuild.seconds)} | ${mb(rebuild)} | ${rebuildSummary.cache_hits} chunks from the cache, ${rebuildSummary.embedded_chunks} embedded |\n`,
    );
    out.write(
      `| one-function edit | ${edit.seconds.toFixed(2)} | ${x(edit.seconds)} | ${mb(edit)} | ${target} (${lines.length} lines): ${editSummary.embedded_chunks} chunk(s) embedded, ${editSummary.cache_hits} reused |\n`,
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Packages (as published, from node_modules) that together make a ~10,000-file repository. */
const LARGE_SET = ['typescript', 'openai', 'zod', '@modelcontextprotocol/sdk', 'apache-arrow', 'ajv', 'yaml', 'hono', 'express', '@lancedb/lancedb', 'commander', 'gpt-tokenizer', 'fast-check', 'vitest', '@vitest', 'typescript-eslint', '@typescript-eslint', 'eslint'];

/** Peak memory and throughput of a cold index of about 10,000 files. */
async function largeRepository(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'gitctx-bench-large-'));
  try {
    for (const name of LARGE_SET) {
      const source = join(root, 'node_modules', name);
      if (existsSync(source)) cpSync(source, join(dir, 'pkgs', name), { recursive: true, dereference: false });
    }
    git(dir, ['init', '-q', '-b', 'main']);
    git(dir, ['add', '-A']);
    git(dir, ['-c', 'user.name=bench', '-c', 'user.email=bench@example.com', 'commit', '-q', '-m', 'import']);
    const files = git(dir, ['ls-files']).split('\n').filter((f) => f !== '').length;
    const cold = timed(process.execPath, [bin, 'index', '--json'], dir);
    const summary = JSON.parse(cold.stdout) as { files: number; chunks: number };
    const noop = timed(process.execPath, [bin, 'index', '--json'], dir);
    const mb = (t: Timed) => (t.maxRssMb === undefined ? 'n/a' : t.maxRssMb.toFixed(0));
    process.stdout.write(`\nLarge repository: ${LARGE_SET.length} published packages from node_modules in one repository, ${files} files.\n\n`);
    process.stdout.write('| case | seconds | peak RSS MB | detail |\n| --- | ---: | ---: | --- |\n');
    process.stdout.write(
      `| cold index | ${cold.seconds.toFixed(1)} | ${mb(cold)} | ${summary.files} files indexed, ${summary.chunks} chunks, ${(summary.chunks / cold.seconds).toFixed(0)} chunks/s |\n`,
    );
    process.stdout.write(`| no-op re-run | ${noop.seconds.toFixed(2)} | ${mb(noop)} | nothing embedded |\n`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
