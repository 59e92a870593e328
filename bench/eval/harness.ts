/**
 * Retrieval evaluation on a real repository we did not write: the source of a
 * package already in node_modules, copied into a temp dir and committed to git,
 * cut into chunks, then asked questions with known relevant files. Any retriever
 * (vector, BM25, hybrid) plugs in through `Retriever`; figures are file-level
 * Recall@5, Recall@10 and MRR@10, overall and split by how the question is phrased.
 */
import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { EmbeddingProvider } from '../../src/embed/types.js';

export interface EvalQuestion {
  id: string;
  question: string;
  /** Repository-relative paths of the files that answer it. */
  relevant: string[];
  /** True when phrased without the code's own identifiers and words. */
  paraphrased: boolean;
}

export interface EvalSet {
  corpus: {
    package: string;
    version: string;
    source: string;
    include: string[];
    /** Set when the corpus comes from a Debian package fetched at bench time instead of node_modules. */
    debian?: { package: string; version: string; root: string };
  };
  questions: EvalQuestion[];
}

export interface EvalFile {
  path: string;
  text: string;
}

export interface EvalChunk {
  path: string;
  /** 1-based, inclusive. */
  startLine: number;
  endLine: number;
  text: string;
}

export interface EvalRepo {
  dir: string;
  commit: string;
  files: EvalFile[];
  dispose(): void;
}

/** What a search method must offer to be evaluated. */
export interface Retriever {
  readonly name: string;
  index(chunks: readonly EvalChunk[]): Promise<void>;
  /** Chunk indices (into the indexed array), best first. */
  search(query: string, limit: number): Promise<number[]>;
}

export interface Metrics {
  questions: number;
  recallAt5: number;
  recallAt10: number;
  mrrAt10: number;
}

export interface QuestionResult {
  id: string;
  paraphrased: boolean;
  /** Ranked file paths (top 10). */
  files: string[];
  recallAt5: number;
  recallAt10: number;
  reciprocalRank: number;
}

export interface EvalReport {
  overall: Metrics;
  literal: Metrics;
  paraphrased: Metrics;
  perQuestion: QuestionResult[];
  /** Time spent in `index`, in ms. */
  indexMs: number;
}

/** The gitctx checkout this file belongs to (works from bench/ and from dist-bench/bench/). */
export function projectRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const pkg = join(dir, 'package.json');
    if (existsSync(pkg) && (JSON.parse(readFileSync(pkg, 'utf8')) as { name?: string }).name === 'gitctx') return dir;
    const up = dirname(dir);
    if (up === dir) throw new Error('gitctx package.json not found above ' + fileURLToPath(import.meta.url));
    dir = up;
  }
}

export type EvalSetName =
  | 'questions'
  | 'pflag-dev-questions'
  | 'rich-dev-questions'
  | 'holdout-questions'
  | 'click-holdout-questions'
  | 'cobra-holdout-questions';

/**
 * `questions.json` (ajv, the set the local model was tuned on), `holdout-questions.json`
 * (yaml), `click-holdout-questions.json` (click, Python) or `cobra-holdout-questions.json`
 * (cobra, Go); the holdouts are never tuned on.
 */
export function loadEvalSet(name: EvalSetName = 'questions'): EvalSet {
  const file = join(projectRoot(), 'bench', 'eval', `${name}.json`);
  return JSON.parse(readFileSync(file, 'utf8')) as EvalSet;
}

function matchesInclude(path: string, include: readonly string[]): boolean {
  return include.some((glob) => {
    // Only the `**/*.ext` form is used by the eval sets; keep the matcher that small.
    const m = /^\*\*\/\*(\.[\w.]+)$/.exec(glob);
    if (!m) throw new Error(`unsupported include glob ${glob}`);
    return path.endsWith(m[1] as string);
  });
}

function git(cwd: string, args: string[]): string {
  return execFileSync('git', args, {
    cwd,
    encoding: 'utf8',
    maxBuffer: 256 * 1024 * 1024,
    env: {
      ...process.env,
      GIT_AUTHOR_NAME: 'eval',
      GIT_AUTHOR_EMAIL: 'eval@example.invalid',
      GIT_COMMITTER_NAME: 'eval',
      GIT_COMMITTER_EMAIL: 'eval@example.invalid',
      GIT_AUTHOR_DATE: '2000-01-01T00:00:00Z',
      GIT_COMMITTER_DATE: '2000-01-01T00:00:00Z',
      GIT_CONFIG_NOSYSTEM: '1',
      HOME: cwd,
    },
  });
}

/**
 * Copies the eval corpus out of node_modules (or out of `root`, an unpacked
 * package that holds the corpus folder) into a fresh git repository and reads
 * back the committed files (the same view the indexer will have).
 */
export function buildEvalRepo(set: EvalSet, root?: string): EvalRepo {
  const { corpus } = set;
  const pkgDir = root ?? join(projectRoot(), 'node_modules', corpus.package);
  const pkg =
    root === undefined
      ? (JSON.parse(readFileSync(join(pkgDir, 'package.json'), 'utf8')) as { version: string })
      : { version: corpus.version };
  if (pkg.version !== corpus.version) {
    process.stderr.write(
      `warning: eval corpus is ${corpus.package}@${pkg.version}, questions were written for ${corpus.version}\n`,
    );
  }
  const dir = mkdtempSync(join(tmpdir(), `gitctx-eval-${corpus.package}-`));
  cpSync(join(pkgDir, corpus.source), join(dir, corpus.source), { recursive: true });
  git(dir, ['init', '-q', '-b', 'main']);
  git(dir, ['add', '-A']);
  git(dir, ['commit', '-q', '-m', `${corpus.package}@${pkg.version} ${corpus.source}`]);
  const commit = git(dir, ['rev-parse', 'HEAD']).trim();
  const files = git(dir, ['ls-files', '-z'])
    .split('\0')
    .filter((p) => p !== '' && matchesInclude(p, corpus.include))
    .sort()
    .map((path) => ({ path, text: readFileSync(join(dir, path), 'utf8') }));
  return { dir, commit, files, dispose: () => rmSync(dir, { recursive: true, force: true }) };
}

/**
 * Interim chunker for the eval only: fixed windows of `lines` lines, no overlap.
 * It stands in for src/chunk until that lands, so figures from it compare
 * retrievers against each other, not against the final chunker.
 */
export function chunkByLineWindow(files: readonly EvalFile[], lines = 40): EvalChunk[] {
  const chunks: EvalChunk[] = [];
  for (const file of files) {
    const all = file.text.split('\n');
    if (all.length > 0 && all[all.length - 1] === '') all.pop();
    for (let start = 0; start < all.length; start += lines) {
      const slice = all.slice(start, start + lines);
      chunks.push({ path: file.path, startLine: start + 1, endLine: start + slice.length, text: slice.join('\n') });
    }
  }
  return chunks;
}

/** The text a retriever sees for a chunk: by default its path first, so file names count as words. */
export function chunkInput(chunk: EvalChunk, withPath = true): string {
  return withPath ? `${chunk.path}\n${chunk.text}` : chunk.text;
}

function dot(a: Float32Array, b: Float32Array): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += (a[i] as number) * (b[i] as number);
  return s;
}

/** Exhaustive cosine search over provider vectors (they are unit length). */
export function vectorRetriever(
  provider: EmbeddingProvider,
  name = provider.model,
  options: { withPath?: boolean } = {},
): Retriever {
  let vectors: Float32Array[] = [];
  return {
    name,
    async index(chunks) {
      vectors = (await provider.embed(chunks.map((c) => chunkInput(c, options.withPath ?? true)))).vectors;
    },
    async search(query, limit) {
      const [q] = (await provider.embed([query])).vectors;
      if (!q) throw new Error('provider returned no query vector');
      const scored = vectors.map((v, i) => ({ i, s: dot(q, v) }));
      scored.sort((a, b) => b.s - a.s || a.i - b.i);
      return scored.slice(0, limit).map((x) => x.i);
    },
  };
}

export function summarize(results: readonly QuestionResult[]): Metrics {
  const n = results.length;
  const mean = (f: (r: QuestionResult) => number): number => (n === 0 ? 0 : results.reduce((s, r) => s + f(r), 0) / n);
  return {
    questions: n,
    recallAt5: mean((r) => r.recallAt5),
    recallAt10: mean((r) => r.recallAt10),
    mrrAt10: mean((r) => r.reciprocalRank),
  };
}

/** Ranks files by their best chunk and scores the ranking against the known answers. */
export async function evaluate(
  retriever: Retriever,
  chunks: readonly EvalChunk[],
  questions: readonly EvalQuestion[],
): Promise<EvalReport> {
  const t0 = performance.now();
  await retriever.index(chunks);
  const indexMs = performance.now() - t0;
  const report = await evaluateRankings(questions, async (question) => {
    // Enough chunks that ten distinct files almost always appear.
    const ranked = await retriever.search(question, Math.min(chunks.length, 200));
    return ranked.map((i) => chunks[i]?.path).filter((path): path is string => path !== undefined);
  });
  return { ...report, indexMs };
}

/**
 * Scores any method that ranks paths for a question (duplicates allowed: the first
 * occurrence counts), so whole pipelines such as `gitctx search` are measured the
 * same way as bare retrievers.
 */
export async function evaluateRankings(
  questions: readonly EvalQuestion[],
  rank: (question: string) => Promise<readonly string[]>,
): Promise<EvalReport> {
  const perQuestion: QuestionResult[] = [];
  for (const q of questions) {
    const files: string[] = [];
    for (const path of await rank(q.question)) {
      if (!files.includes(path)) files.push(path);
      if (files.length === 10) break;
    }
    const relevant = new Set(q.relevant);
    const hits = (k: number): number => files.slice(0, k).filter((f) => relevant.has(f)).length / relevant.size;
    const first = files.findIndex((f) => relevant.has(f));
    perQuestion.push({
      id: q.id,
      paraphrased: q.paraphrased,
      files,
      recallAt5: hits(5),
      recallAt10: hits(10),
      reciprocalRank: first >= 0 ? 1 / (first + 1) : 0,
    });
  }
  return {
    overall: summarize(perQuestion),
    literal: summarize(perQuestion.filter((r) => !r.paraphrased)),
    paraphrased: summarize(perQuestion.filter((r) => r.paraphrased)),
    perQuestion,
    indexMs: 0,
  };
}

/** Checks that every relevant path of every question exists in the corpus (a typo would silently cost recall). */
export function checkQuestions(set: EvalSet, files: readonly EvalFile[]): void {
  const paths = new Set(files.map((f) => f.path));
  for (const q of set.questions) {
    for (const p of q.relevant) {
      if (!paths.has(p)) throw new Error(`question ${q.id}: relevant file ${p} is not in the corpus`);
    }
  }
}
