/**
 * Search quality and latency.
 * Quality: file-level Recall@5, Recall@10 and MRR@10 of `gitctx search` in each mode
 * (the real indexer, chunker, LanceDB and local-v1), beside a plain BM25 over 60-line
 * windows computed in the same run, on the eval sets in bench/eval.
 * Latency: a warm query in process and the whole `gitctx search` process on an index
 * of 10,000+ chunks, beside `node -e 0`.
 */
import { cpSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { execFileSync, spawnSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { resolveSettings } from '../src/config/index.js';
import { createLocalProvider, createLocalV2Provider } from '../src/embed/index.js';
import type { EmbeddingProvider } from '../src/embed/index.js';
import { openRepository } from '../src/git/index.js';
import { runIndex } from '../src/indexer/run.js';
import { Searcher } from '../src/search/search.js';
import type { SearchMode } from '../src/search/types.js';
import { buildEvalRepo, chunkByLineWindow, evaluate, evaluateRankings, loadEvalSet, projectRoot } from './eval/harness.js';
import type { EvalChunk, EvalReport, Retriever } from './eval/harness.js';

/** Okapi BM25 (k1 1.2, b 0.75) over lowercase alphanumeric words: the baseline any search must beat. */
export function bm25Retriever(): Retriever {
  const k1 = 1.2;
  const b = 0.75;
  let docs: Map<string, number>[] = [];
  let lengths: number[] = [];
  const df = new Map<string, number>();
  const tokenize = (text: string) => text.toLowerCase().match(/[a-z0-9]+/g) ?? [];
  return {
    name: 'bm25-60-line-windows',
    async index(chunks: readonly EvalChunk[]) {
      docs = chunks.map((c) => {
        const tf = new Map<string, number>();
        for (const t of tokenize(`${c.path}\n${c.text}`)) tf.set(t, (tf.get(t) ?? 0) + 1);
        for (const t of tf.keys()) df.set(t, (df.get(t) ?? 0) + 1);
        return tf;
      });
      lengths = docs.map((d) => [...d.values()].reduce((n, c) => n + c, 0));
    },
    async search(query: string, limit: number) {
      const n = docs.length;
      const avg = lengths.reduce((s, l) => s + l, 0) / Math.max(n, 1);
      const terms = [...new Set(tokenize(query))];
      const scores = docs.map((tf, i) => {
        let score = 0;
        for (const t of terms) {
          const f = tf.get(t);
          if (!f) continue;
          const idf = Math.log(1 + (n - (df.get(t) ?? 0) + 0.5) / ((df.get(t) ?? 0) + 0.5));
          score += (idf * f * (k1 + 1)) / (f + k1 * (1 - b + (b * (lengths[i] ?? 0)) / avg));
        }
        return score;
      });
      return scores
        .map((score, i) => ({ score, i }))
        .filter((s) => s.score > 0)
        .sort((x, y) => y.score - x.score)
        .slice(0, limit)
        .map((s) => s.i);
    },
  };
}

const quiet = () => undefined;
const fmt = (n: number) => n.toFixed(2);

async function indexWithLocal(dir: string, provider: EmbeddingProvider = createLocalProvider()) {
  const repo = await openRepository(dir);
  const summary = await runIndex({ repo, settings: resolveSettings([]).settings, provider, warn: quiet });
  return { provider, summary };
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? Number.NaN;
}

async function quality(): Promise<void> {
  const out = process.stdout;
  out.write('### Quality (file level, local-v1 and local-v2)\n\n');
  out.write('| set | method | Recall@5 | Recall@10 | MRR@10 | paraphrased Recall@10 | paraphrased MRR@10 | literal Recall@10 |\n| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: |\n');
  for (const name of ['questions', 'holdout-questions'] as const) {
    const set = loadEvalSet(name);
    const repo = buildEvalRepo(set);
    try {
      const label = `${set.corpus.package}@${set.corpus.version} (${name === 'questions' ? 'dev' : 'holdout'}, ${set.questions.length} q)`;
      const rows: [string, EvalReport][] = [];
      rows.push(['plain BM25, 60-line windows', await evaluate(bm25Retriever(), chunkByLineWindow(repo.files, 60), set.questions)]);
      for (const make of [createLocalProvider, createLocalV2Provider]) {
        const { provider } = await indexWithLocal(repo.dir, make());
        const searcher = await Searcher.open(join(repo.dir, '.gitctx', 'db'), provider);
        // Text mode does not use the model: measured once.
        const modes: SearchMode[] = make === createLocalProvider ? ['text', 'vector', 'hybrid'] : ['vector', 'hybrid'];
        for (const mode of modes) {
          const report = await evaluateRankings(set.questions, async (query) =>
            (await searcher.search({ query, mode, limit: 100 })).results.map((r) => r.path),
          );
          rows.push([mode === 'text' ? 'gitctx text' : `gitctx ${mode}, ${provider.model}`, report]);
        }
        searcher.close();
      }
      for (const [method, r] of rows) {
        out.write(
          `| ${label} | ${method} | ${fmt(r.overall.recallAt5)} | ${fmt(r.overall.recallAt10)} | ${fmt(r.overall.mrrAt10)} | ${fmt(r.paraphrased.recallAt10)} | ${fmt(r.paraphrased.mrrAt10)} | ${fmt(r.literal.recallAt10)} |\n`,
        );
      }
    } finally {
      repo.dispose();
    }
  }
}

async function latency(): Promise<void> {
  const out = process.stdout;
  const source = join(projectRoot(), 'node_modules', 'openai');
  const dir = mkdtempSync(join(tmpdir(), 'gitctx-bench-search-'));
  try {
    cpSync(source, dir, { recursive: true });
    const env = { ...process.env, GIT_AUTHOR_DATE: '@1704067200 +0000', GIT_COMMITTER_DATE: '@1704067200 +0000' };
    execFileSync('git', ['init', '-q', '-b', 'main'], { cwd: dir });
    execFileSync('git', ['add', '-A'], { cwd: dir });
    execFileSync('git', ['-c', 'user.name=bench', '-c', 'user.email=b@example.com', 'commit', '-q', '-m', 'import'], { cwd: dir, env });
    const { provider, summary } = await indexWithLocal(dir);
    const questions = loadEvalSet('questions').questions.map((q) => q.question);

    const searcher = await Searcher.open(join(dir, '.gitctx', 'db'), provider);
    await searcher.search({ query: 'warm up', mode: 'hybrid', limit: 10 });
    const warm: Record<SearchMode, number[]> = { hybrid: [], vector: [], text: [] };
    for (const mode of ['hybrid', 'vector', 'text'] as SearchMode[]) {
      for (const query of questions) {
        const t0 = performance.now();
        await searcher.search({ query, mode, limit: 10 });
        warm[mode].push(performance.now() - t0);
      }
    }
    searcher.close();

    const bin = join(projectRoot(), 'dist', 'cli', 'main.js');
    const runs = 9;
    const time = (args: string[]) => {
      const t0 = performance.now();
      const r = spawnSync(process.execPath, args, { cwd: dir, encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' } });
      if (r.status !== 0) throw new Error(`${args.join(' ')}: ${r.stderr}`);
      return performance.now() - t0;
    };
    const nodeStart = median(Array.from({ length: runs }, () => time(['-e', '0'])));
    const processMs = median(questions.slice(0, runs).map((q) => time([bin, 'search', q])));
    const versionMs = median(Array.from({ length: runs }, () => time([bin, '--version'])));

    const version = (JSON.parse(readFileSync(join(source, 'package.json'), 'utf8')) as { version: string }).version;
    out.write(`\n### Latency (openai@${version} source: ${summary.files} files, ${summary.chunks} chunks, local-v1)\n\n`);
    out.write('| measure | p50 ms | p90 ms | vs node -e 0 |\n| --- | ---: | ---: | ---: |\n');
    for (const mode of ['hybrid', 'vector', 'text'] as SearchMode[]) {
      const sorted = [...warm[mode]].sort((a, b) => a - b);
      out.write(`| warm query in process, ${mode} (${sorted.length} queries) | ${median(sorted).toFixed(1)} | ${(sorted[Math.floor(sorted.length * 0.9)] ?? 0).toFixed(1)} | |\n`);
    }
    out.write(`| \`node -e 0\` (baseline) | ${nodeStart.toFixed(0)} | | 1.0x |\n`);
    out.write(`| \`gitctx --version\` | ${versionMs.toFixed(0)} | | ${(versionMs / nodeStart).toFixed(1)}x |\n`);
    out.write(`| \`gitctx search "<question>"\`, start to exit | ${processMs.toFixed(0)} | | ${(processMs / nodeStart).toFixed(1)}x |\n`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export default async function bench(): Promise<void> {
  await quality();
  await latency();
}
