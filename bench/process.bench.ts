/**
 * A whole `gitctx search` process on a 100,000-chunk index, beside `node -e 0` measured in the
 * same run (the issue's aim: within 5 times). Each command runs in turn with the others (A B C
 * A B C ...), so a burst of load on a shared machine hits all alike; figures are medians, and
 * ratios are against the baseline's median. Wall time and CPU time (user + sys, all threads and
 * child processes, from /usr/bin/time when present) are both given: on a busy machine wall time
 * stretches with the load, CPU time much less.
 *
 * The rows split the process into its parts:
 * - `gitctx --version`: Node, the command tree, nothing else;
 * - `search --mode text`: settings, git, LanceDB and the full-text index, no model;
 * - `search --mode vector`: settings, git, LanceDB, the local-v2 table and the vector index;
 * - `search` (hybrid, the default): all of it;
 * - LanceDB alone (lancedb-alone.ts): opening the index and its two queries, with no gitctx code,
 *   the floor under the hybrid search.
 *
 * - `node` touching 64 MiB: what fresh memory costs on this machine. Every page a process
 *   touches first is a page fault, and on some virtual machines one costs 10 µs or more (about
 *   0.1 µs on bare metal), so a process's wall time follows its memory: the table gives each
 *   command's minor faults, and the cost of one is derived from this row against the baseline.
 *
 * The index: `n` synthetic chunks of the default model's dimensions written through the real
 * store code, with its vector index (see ann.bench.ts). GITCTX_BENCH_PROCESS_CHUNKS sets n
 * (default 100000); GITCTX_BENCH_PROCESS_REPO=/path measures a repository already indexed
 * instead (for example one `npm run bench -- index` generated and indexed with real text);
 * GITCTX_BENCH_PROCESS_RUNS the runs per command (default 9). GITCTX_BENCH_BIN=/path/to/cli/main.js
 * measures another build; GITCTX_BENCH_BASE_BIN=/path/to/cli/main.js adds that build's rows beside
 * this one's in the same run (an older commit's build, to see what a change did).
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { repoWithIndex } from './ann.bench.js';
import { projectRoot } from './eval/harness.js';

const QUESTIONS = [
  'where is the request retried after a failure',
  'how is the config file parsed',
  'which handler validates the token',
  'where are cache entries evicted',
  'how does the stream buffer get flushed',
];

const hasTime = existsSync('/usr/bin/time');
const here = dirname(fileURLToPath(import.meta.url));

interface Run {
  wallMs: number;
  cpuMs: number;
  /** Minor page faults (pages touched for the first time), from /usr/bin/time. */
  faults: number;
}

const TOUCHED_MIB = 64;

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? Number.NaN;
}

function runOnce(args: readonly string[], cwd: string, env: NodeJS.ProcessEnv): Run {
  const t0 = performance.now();
  const r = hasTime
    ? spawnSync('/usr/bin/time', ['-f', '%U %S %R', process.execPath, ...args], { cwd, env, encoding: 'utf8', maxBuffer: 16 * 1024 * 1024 })
    : spawnSync(process.execPath, args, { cwd, env, encoding: 'utf8', maxBuffer: 16 * 1024 * 1024 });
  const wallMs = performance.now() - t0;
  if (r.status !== 0) throw new Error(`node ${args.join(' ')} failed: ${r.stderr}`);
  const [user, sys, faults] = hasTime ? (r.stderr.trim().split('\n').pop() ?? '').split(' ').map(Number) : [];
  return { wallMs, cpuMs: ((user ?? Number.NaN) + (sys ?? Number.NaN)) * 1000, faults: faults ?? Number.NaN };
}

export default async function bench(): Promise<void> {
  const out = process.stdout;
  const n = Number(process.env.GITCTX_BENCH_PROCESS_CHUNKS ?? 100_000);
  const runs = Number(process.env.GITCTX_BENCH_PROCESS_RUNS ?? 9);
  const given = process.env.GITCTX_BENCH_PROCESS_REPO;
  const dir = given ?? (await repoWithIndex('local', n));
  const home = mkdtempSync(join(tmpdir(), 'gitctx-bench-process-home-'));
  const bin = process.env.GITCTX_BENCH_BIN ?? join(projectRoot(), 'dist', 'cli', 'main.js');
  const baseBin = process.env.GITCTX_BENCH_BASE_BIN;
  // Default settings, as a user gets them; an empty home so no user file applies.
  const env = { ...process.env, NO_COLOR: '1', GITCTX_HOME: home };
  const question = (i: number) => QUESTIONS[i % QUESTIONS.length] as string;
  const gitctx = (build: string, tag: string) => [
    { label: `\`gitctx --version\`${tag}`, args: () => [build, '--version'] },
    { label: `\`gitctx search --mode text "..."\`${tag}`, args: (i: number) => [build, 'search', '--mode', 'text', question(i)] },
    { label: `\`gitctx search --mode vector "..."\`${tag}`, args: (i: number) => [build, 'search', '--mode', 'vector', question(i)] },
    { label: `\`gitctx search "..."\` (hybrid, the default)${tag}`, args: (i: number) => [build, 'search', question(i)] },
  ];
  const commands: { label: string; args: (i: number) => string[] }[] = [
    { label: '`node -e 0` (baseline)', args: () => ['-e', '0'] },
    { label: `\`node\` touching ${TOUCHED_MIB} MiB of fresh memory`, args: () => ['-e', `Buffer.alloc(${TOUCHED_MIB} * 1024 * 1024, 1)`] },
    // The floor: what LanceDB itself costs a process asking what a hybrid search asks of it.
    { label: 'LanceDB alone: full-text and vector queries (lancedb-alone.ts)', args: (i: number) => [join(here, 'lancedb-alone.js'), 'search', join(dir, '.gitctx', 'db'), question(i)] },
    ...gitctx(bin, ''),
    ...(baseBin === undefined ? [] : gitctx(baseBin, ', base build')),
  ];
  try {
    // Warm-up: the page cache holds the index and the model file, as on a machine that searches often.
    for (const c of commands) runOnce(c.args(0), dir, env);
    const results = commands.map(() => [] as Run[]);
    for (let i = 0; i < runs; i++) commands.forEach((c, k) => results[k]?.push(runOnce(c.args(i), dir, env)));
    const base = results[0] as Run[];
    const baseWall = median(base.map((r) => r.wallMs));
    const baseCpu = median(base.map((r) => r.cpuMs));
    out.write(`### Whole process on ${given === undefined ? `${n} synthetic chunks (local-v2 dimensions, vector index)` : given} (median of ${runs} runs, in turn)\n\n`);
    const baseFaults = median(base.map((r) => r.faults));
    out.write('| command | wall ms | vs `node -e 0` | CPU ms | vs `node -e 0` | minor page faults |\n| --- | ---: | ---: | ---: | ---: | ---: |\n');
    const medians = commands.map((c, k) => {
      const runsOf = results[k] as Run[];
      const m = { wall: median(runsOf.map((r) => r.wallMs)), cpu: median(runsOf.map((r) => r.cpuMs)), faults: median(runsOf.map((r) => r.faults)) };
      out.write(`| ${c.label} | ${m.wall.toFixed(0)} | ${(m.wall / baseWall).toFixed(1)}x | ${m.cpu.toFixed(0)} | ${(m.cpu / baseCpu).toFixed(1)}x | ${m.faults} |\n`);
      return m;
    });
    const touched = medians[1];
    const hybrid = medians[commands.findIndex((c) => c.label.includes('(hybrid, the default)'))];
    if (hasTime && touched !== undefined && hybrid !== undefined && touched.faults > baseFaults) {
      // An upper bound on what faults cost a search: its native threads may fault in parallel.
      const usPerFault = ((touched.wall - baseWall) * 1000) / (touched.faults - baseFaults);
      const hybridMs = ((hybrid.faults - baseFaults) * usPerFault) / 1000;
      out.write(
        `\nA page fault costs about ${usPerFault.toFixed(1)} µs here (the ${TOUCHED_MIB} MiB row against the baseline). ` +
          `The hybrid search's ${hybrid.faults - baseFaults} faults beyond the baseline's then come to at most about ${hybridMs.toFixed(0)} ms ` +
          `of its ${hybrid.wall.toFixed(0)} ms; less that, it would be ${((hybrid.wall - hybridMs) / baseWall).toFixed(1)}x the baseline.\n`,
      );
    }
  } finally {
    rmSync(home, { recursive: true, force: true });
    if (given === undefined) rmSync(dir, { recursive: true, force: true });
  }
}
