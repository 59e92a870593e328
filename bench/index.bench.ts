/**
 * Index benchmark on a real repository we did not write: the published source of
 * zod (as installed in node_modules), committed into a temp git repository.
 * Runs the built `gitctx` binary as a user would, under /usr/bin/time for peak RSS,
 * and reports each figure beside `node -e 0` measured in the same run.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const bin = join(root, 'dist', 'cli', 'main.js');
const SOURCE_PACKAGE = 'zod';

interface Timed {
  seconds: number;
  maxRssMb: number | undefined;
  stdout: string;
}

const hasTime = existsSync('/usr/bin/time');

function timed(command: string, args: readonly string[], cwd: string): Timed {
  const started = performance.now();
  const result = hasTime
    ? spawnSync('/usr/bin/time', ['-f', '%M', command, ...args], { cwd, encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' } })
    : spawnSync(command, args, { cwd, encoding: 'utf8' });
  const seconds = (performance.now() - started) / 1000;
  if (result.status !== 0) throw new Error(`${command} ${args.join(' ')} failed: ${result.stderr}`);
  const rssKb = hasTime ? Number(result.stderr.trim().split('\n').pop()) : Number.NaN;
  return { seconds, maxRssMb: Number.isFinite(rssKb) ? rssKb / 1024 : undefined, stdout: result.stdout };
}

function git(cwd: string, args: readonly string[]): string {
  return execFileSync('git', args, {
    cwd,
    encoding: 'utf8',
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
  await largeRepository();
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
