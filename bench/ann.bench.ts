/**
 * Vector search at scale, through the real store code (IndexStore on LanceDB).
 *
 * 1. In process: a table of N synthetic chunks of 512 dims, written and committed as an
 *    index run does (the commit builds the ANN index past VECTOR_INDEX_MIN_ROWS). Per N:
 *    build time, vector index size, query p50/p95 with the index and with an exact scan
 *    (same table, same run), Recall@10 of the index against the exact scan over 200
 *    queries, unfiltered and with a filter matching a tenth of the rows.
 * 2. Whole process: `gitctx search` on a repository with a 100k-chunk index, beside
 *    `node -e 0`, in the same run.
 *
 * Vectors are clustered, not uniform noise (in uniform noise every point is about as far
 * from a query as every other, and no index can have recall): a Gaussian mixture where each
 * cluster spreads along a few directions of its own, as embeddings of related code do.
 *
 * Sizes: GITCTX_BENCH_ANN_SIZES (comma-separated; default 10000,50000,100000);
 * GITCTX_BENCH_ANN_1M=1 adds 1,000,000 (minutes, and about 6 GB of memory at peak).
 * GITCTX_BENCH_ANN_PROCESS=0 skips part 2. GITCTX_BENCH_ANN_QUERIES sets the query count (200). GITCTX_BENCH_ANN_CACHE=<dir> keeps each size's table
 * in <dir>/<n> and reuses it on the next run (the million-row table takes minutes to build, its
 * queries seconds), so query settings can be compared on one table.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chunkerOptionsFor, chunkerSignature } from '../src/chunk/index.js';
import { createProvider } from '../src/embed/index.js';
import { IndexStore } from '../src/store/index-store.js';
import type { ChunkRow } from '../src/store/schema.js';
import { searchTextOf } from '../src/store/index.js';
import { VECTOR_INDEX_MIN_ROWS } from '../src/store/vector-index.js';
import { CANDIDATE_POOL } from '../src/search/search.js';
import { projectRoot } from './eval/harness.js';

const DIMS = 512;
const QUERIES = Number(process.env.GITCTX_BENCH_ANN_QUERIES ?? 200);
const K = 10;
const LATENT = 16;
const quiet = () => undefined;

/** Deterministic PRNG (mulberry32) and standard normals (Box-Muller). */
function rng(seed: number): { uniform(): number; normal(): number } {
  let a = seed >>> 0;
  const uniform = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  let spare: number | undefined;
  const normal = () => {
    if (spare !== undefined) {
      const s = spare;
      spare = undefined;
      return s;
    }
    const u = Math.max(uniform(), 1e-12);
    const v = uniform();
    const r = Math.sqrt(-2 * Math.log(u));
    spare = r * Math.sin(2 * Math.PI * v);
    return r * Math.cos(2 * Math.PI * v);
  };
  return { uniform, normal };
}

/** A mixture of `clusters` Gaussians, each a centre plus LATENT directions of its own plus a little isotropic noise. */
function mixture(dims: number, clusters: number, seed: number) {
  const r = rng(seed);
  const centres = Array.from({ length: clusters }, () => Float32Array.from({ length: dims }, () => r.normal()));
  const bases = Array.from({ length: clusters }, () => Float32Array.from({ length: dims * LATENT }, () => r.normal() * 0.35));
  return (draw: ReturnType<typeof rng>): Float32Array => {
    const c = Math.floor(draw.uniform() * clusters);
    const centre = centres[c] as Float32Array;
    const basis = bases[c] as Float32Array;
    const z = Array.from({ length: LATENT }, () => draw.normal());
    const v = new Float32Array(dims);
    for (let d = 0; d < dims; d++) {
      let x = (centre[d] as number) + draw.normal() * 0.15;
      const row = d * LATENT;
      for (let j = 0; j < LATENT; j++) x += (basis[row + j] as number) * (z[j] as number);
      v[d] = x;
    }
    return v;
  };
}

const WORDS = 'parse config cache vector index search token stream buffer retry request response error handler query table'.split(' ');

function chunkRow(i: number, vector: Float32Array, model: string): ChunkRow {
  const path = `src/m${i % 997}/file${i}.${i % 10 === 0 ? 'go' : 'ts'}`;
  const content = `function f${i}() { ${WORDS[i % WORDS.length]} ${WORDS[(i * 7) % WORDS.length]} ${WORDS[(i * 13) % WORDS.length]} }`;
  return {
    file_id: `f${i}`,
    vector,
    content,
    search_text: searchTextOf(path, content),
    path,
    language: i % 10 === 0 ? 'go' : 'typescript',
    start_line: 1,
    end_line: 3,
    blob_sha: i.toString(16).padStart(40, '0'),
    chunk_index: 0,
    commit_sha: null,
    author: null,
    date: null,
    message: null,
    is_head: true,
    uncommitted: false,
    model,
  };
}

const clustersFor = (n: number) => Math.max(64, Math.round(Math.sqrt(n)));

/** Query vectors from the same mixture as a table of `n` rows, from a seed of their own (so a cached table needs no replay). */
export function queriesFor(n: number): Float32Array[] {
  const next = mixture(DIMS, clustersFor(n), 1);
  const draw = rng(3);
  return Array.from({ length: QUERIES }, () => next(draw));
}

/** Writes `n` mixture vectors through IndexStore and commits, as an index run would. */
async function buildTable(dir: string, identity: { model: string; dims: number; chunker: string }, n: number, indexedCommit: string | null = null) {
  const next = mixture(identity.dims, clustersFor(n), 1);
  const draw = rng(2);
  const t0 = performance.now();
  const store = await IndexStore.openForWrite(dir, identity, quiet);
  for (let i = 0; i < n; i++) await store.add([chunkRow(i, next(draw), identity.model)]);
  await store.flush();
  const written = performance.now();
  await store.commit({ ...identity, indexed_commit: indexedCommit, files: n, chunks: n });
  const committed = performance.now();
  store.close();
  return { writeS: (written - t0) / 1000, commitS: (committed - written) / 1000, queries: () => queriesFor(n) };
}

function dirBytes(path: string): number {
  let total = 0;
  for (const entry of readdirSync(path, { withFileTypes: true })) {
    const full = join(path, entry.name);
    total += entry.isDirectory() ? dirBytes(full) : statSync(full).size;
  }
  return total;
}

/** Bytes of the vector index: the index directories that hold IVF data (the full-text index's do not). */
function vectorIndexBytes(dbDir: string): number {
  const indices = join(dbDir, 'chunks.lance', '_indices');
  let total = 0;
  for (const entry of readdirSync(indices, { withFileTypes: true })) {
    const files = readdirSync(join(indices, entry.name));
    if (files.includes('auxiliary.idx')) total += dirBytes(join(indices, entry.name));
  }
  return total;
}

const pct = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))] ?? Number.NaN;

async function timedQueries(store: IndexStore, queries: Float32Array[], exact: boolean, language?: string, limit = K) {
  const ms: number[] = [];
  const found: string[][] = [];
  // Steady state: the index's partitions are loaded on first use, so the ANN queries run once
  // untimed (the first query's load is reported apart); a scan has nothing to load.
  for (const q of exact ? queries.slice(0, 3) : queries) await store.vectorSearch(q, { limit, ...(language ? { filter: { language } } : {}) }, { exact });
  for (const q of queries) {
    const t0 = performance.now();
    const hits = await store.vectorSearch(q, { limit, ...(language ? { filter: { language } } : {}) }, { exact });
    ms.push(performance.now() - t0);
    found.push(hits.slice(0, K).map((h) => h.path));
  }
  ms.sort((a, b) => a - b);
  return { p50: pct(ms, 0.5), p95: pct(ms, 0.95), found };
}

function recall(approx: string[][], exact: string[][]): number {
  let hit = 0;
  let total = 0;
  exact.forEach((truth, i) => {
    const got = new Set(approx[i]);
    for (const t of truth) if (got.has(t)) hit++;
    total += truth.length;
  });
  return hit / Math.max(total, 1);
}

async function inProcess(): Promise<void> {
  const out = process.stdout;
  const sizes = (process.env.GITCTX_BENCH_ANN_SIZES ?? '10000,50000,100000').split(',').map(Number).filter((n) => n > 0);
  if (process.env.GITCTX_BENCH_ANN_1M === '1') sizes.push(1_000_000);
  out.write(`### In process (${DIMS} dims, ${QUERIES} queries, top ${K}; ANN index from ${VECTOR_INDEX_MIN_ROWS} rows)\n\n`);
  out.write(`| chunks | write s | commit s (full-text + ANN + compaction) | ANN index MB | exact p50 / p95 ms | first ANN query ms (index load) | ANN p50 / p95 ms | Recall@10 | filtered (1/10) exact p50 / ANN p50 ms | filtered Recall@10 | pool of ${CANDIDATE_POOL}: exact p50 / ANN p50 ms | pool Recall@10 |\n`);
  out.write('| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |\n');
  const identity = { model: 'bench-synthetic', dims: DIMS, chunker: 'bench' };
  for (const n of sizes) {
    const cache = process.env.GITCTX_BENCH_ANN_CACHE;
    const root = cache !== undefined ? join(cache, String(n)) : mkdtempSync(join(tmpdir(), 'gitctx-bench-ann-'));
    try {
      const dbDir = join(root, 'db');
      const reused = cache !== undefined && existsSync(join(root, 'built'));
      if (cache !== undefined && !reused) {
        rmSync(root, { recursive: true, force: true });
        mkdirSync(root, { recursive: true });
      }
      const built = reused ? { writeS: Number.NaN, commitS: Number.NaN, queries: () => queriesFor(n) } : await buildTable(dbDir, identity, n);
      if (cache !== undefined && !reused) writeFileSync(join(root, 'built'), '');
      const queries = built.queries();
      const store = await IndexStore.openForRead(dbDir);
      if (store === undefined) throw new Error('no index after commit');
      const indexed = await store.hasVectorIndex();
      const t0 = performance.now();
      await store.vectorSearch(queries[0] as Float32Array, { limit: K });
      const firstMs = performance.now() - t0;
      const exact = await timedQueries(store, queries, true);
      const ann = await timedQueries(store, queries, false);
      const exactF = await timedQueries(store, queries, true, 'go');
      const annF = await timedQueries(store, queries, false, 'go');
      // The hybrid path asks for its whole candidate pool, not the top 10.
      const exactPool = await timedQueries(store, queries.slice(0, 50), true, undefined, CANDIDATE_POOL);
      const annPool = await timedQueries(store, queries.slice(0, 50), false, undefined, CANDIDATE_POOL);
      store.close();
      const size = indexed ? (vectorIndexBytes(dbDir) / 1e6).toFixed(1) : 'none';
      const f = (x: number) => x.toFixed(1);
      out.write(
        `| ${n} | ${f(built.writeS)} | ${f(built.commitS)} | ${size} | ${f(exact.p50)} / ${f(exact.p95)} | ${f(firstMs)} | ${indexed ? `${f(ann.p50)} / ${f(ann.p95)}` : '(no index)'} | ${recall(ann.found, exact.found).toFixed(3)} | ${f(exactF.p50)} / ${f(annF.p50)} | ${recall(annF.found, exactF.found).toFixed(3)} | ${f(exactPool.p50)} / ${f(annPool.p50)} | ${recall(annPool.found, exactPool.found).toFixed(3)} |\n`,
      );
    } finally {
      if (cache === undefined) rmSync(root, { recursive: true, force: true });
    }
  }
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? Number.NaN;
}

/** A one-commit repository whose index is `n` synthetic chunks built for `model`, at HEAD. */
export async function repoWithIndex(model: string, n: number): Promise<string> {
  const dir = mkdtempSync(join(tmpdir(), 'gitctx-bench-ann-repo-'));
  const env = { ...process.env, GIT_AUTHOR_DATE: '@1704067200 +0000', GIT_COMMITTER_DATE: '@1704067200 +0000' };
  execFileSync('git', ['init', '-q', '-b', 'main'], { cwd: dir });
  writeFileSync(join(dir, 'README.md'), 'bench\n');
  execFileSync('git', ['add', '-A'], { cwd: dir });
  execFileSync('git', ['-c', 'user.name=bench', '-c', 'user.email=b@example.com', 'commit', '-q', '-m', 'import'], { cwd: dir, env });
  const head = execFileSync('git', ['rev-parse', 'HEAD'], { cwd: dir, encoding: 'utf8' }).trim();
  const provider = await createProvider({ embedding: model });
  const identity = { model: provider.model, dims: provider.dims, chunker: chunkerSignature(chunkerOptionsFor(provider)) };
  await buildTable(join(dir, '.gitctx', 'db'), identity, n, head);
  return dir;
}

async function wholeProcess(): Promise<void> {
  const out = process.stdout;
  const n = Number(process.env.GITCTX_BENCH_ANN_PROCESS_CHUNKS ?? 100_000);
  const bin = join(projectRoot(), 'dist', 'cli', 'main.js');
  const runs = 9;
  out.write(`\n### Whole process: \`gitctx search\` on ${n} chunks (min / median of ${runs} runs)\n\n`);
  out.write('| command | min ms | median ms | median vs `node -e 0` |\n| --- | ---: | ---: | ---: |\n');
  for (const model of ['local', 'local-v2']) {
    const dir = await repoWithIndex(model, n);
    const home = mkdtempSync(join(tmpdir(), 'gitctx-bench-ann-home-'));
    try {
      const env = { ...process.env, NO_COLOR: '1', GITCTX_HOME: home, GITCTX_MODEL__EMBEDDING: model };
      const time = (args: string[]) => {
        const t0 = performance.now();
        const r = spawnSync(process.execPath, args, { cwd: dir, encoding: 'utf8', env });
        if (r.status !== 0) throw new Error(`${args.join(' ')}: ${r.stderr}`);
        return performance.now() - t0;
      };
      time([bin, 'search', 'warm the page cache']);
      // Interleaved, so a burst of load on the shared machine hits both alike.
      const base: number[] = [];
      const search: number[] = [];
      for (let i = 0; i < runs; i++) {
        base.push(time(['-e', '0']));
        search.push(time([bin, 'search', `where is the ${WORDS[i % WORDS.length]} parsed`]));
      }
      const b = median(base);
      out.write(`| \`node -e 0\` (baseline for ${model}) | ${Math.min(...base).toFixed(0)} | ${b.toFixed(0)} | 1.0x |\n`);
      out.write(`| \`gitctx search "..."\`, ${model}, hybrid | ${Math.min(...search).toFixed(0)} | ${median(search).toFixed(0)} | ${(median(search) / b).toFixed(1)}x |\n`);
    } finally {
      rmSync(dir, { recursive: true, force: true });
      rmSync(home, { recursive: true, force: true });
    }
  }
}

export default async function bench(): Promise<void> {
  await inProcess();
  if (process.env.GITCTX_BENCH_ANN_PROCESS !== '0') await wholeProcess();
}
