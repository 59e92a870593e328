/**
 * Embedding providers: how fast local-v1 embeds ~400-token chunks on one core,
 * how well it retrieves on the eval sets (bench/eval), the alternatives it was
 * chosen over, and what the OpenAI provider costs per request against the fake
 * server. Speeds are shown next to a baseline from the same run (counting the
 * same text with the cl100k tokenizer; a bare fetch of the same requests).
 */
import { countTokens } from 'gpt-tokenizer/encoding/cl100k_base';
import { createProvider } from '../src/embed/factory.js';
import { createLocalProvider, estimateTokens } from '../src/embed/local.js';
import { createLocalV2Provider, LOCAL_V2_TABLE_SHAPE } from '../src/embed/local-v2.js';
import { loadTokenTable, localV2TableUrl } from '../src/embed/token-table.js';
import { startFakeOpenAI } from '../test/helpers/fake-openai-server.js';
import { buildEvalRepo, loadEvalSet, type EvalFile, type Metrics } from './eval/harness.js';
import { compareVariants, LOCAL_V2_VARIANTS, variantsTable } from './eval/variants.js';

const out = (s: string): void => {
  process.stdout.write(s + '\n');
};
const f2 = (x: number): string => x.toFixed(2);

/** ~400-token chunks (cl100k) from real source: whole lines, cut when the next line would pass 400. */
function chunks400(files: readonly EvalFile[]): string[] {
  const chunks: string[] = [];
  for (const file of files) {
    let lines: string[] = [];
    let tokens = 0;
    for (const line of file.text.split('\n')) {
      const t = countTokens(line + '\n', { disallowedSpecial: new Set() });
      if (tokens + t > 400 && lines.length > 0) {
        chunks.push(lines.join('\n'));
        lines = [];
        tokens = 0;
      }
      lines.push(line);
      tokens += t;
    }
    if (lines.length > 0 && tokens > 200) chunks.push(lines.join('\n'));
  }
  return chunks;
}

function best(ms: number[]): number {
  return Math.min(...ms);
}

async function timeIt(runs: number, f: () => Promise<void> | void): Promise<number> {
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    await f();
    times.push(performance.now() - t0);
  }
  return best(times);
}

/** Best of `runs` in CPU milliseconds of this process: steadier than wall time when other work shares the machine. */
async function cpuTimeIt(runs: number, f: () => Promise<void> | void): Promise<number> {
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t0 = process.cpuUsage();
    await f();
    const used = process.cpuUsage(t0);
    times.push((used.user + used.system) / 1000);
  }
  return best(times);
}

async function localSpeed(): Promise<void> {
  const repos = [buildEvalRepo(loadEvalSet('questions')), buildEvalRepo(loadEvalSet('holdout-questions'))];
  try {
    const chunks = chunks400(repos.flatMap((r) => r.files));
    const tokens = chunks.reduce((s, c) => s + countTokens(c, { disallowedSpecial: new Set() }), 0);
    // Cold: a fresh provider has an empty per-word memo, as at the start of a run.
    const cold = await timeIt(3, async () => {
      await createLocalProvider().embed(chunks);
    });
    const provider = createLocalProvider();
    await provider.embed(chunks);
    const warm = await timeIt(3, async () => {
      await provider.embed(chunks);
    });
    // local-v2: the table is read once per process (timed on its own); "cold" is a fresh
    // provider per run (tokenizer trie built, empty word memo), as at the start of an index run.
    const tableLoad = await timeIt(3, () => {
      loadTokenTable(localV2TableUrl(), LOCAL_V2_TABLE_SHAPE);
    });
    await createLocalV2Provider().embed(['warm the shared table']);
    const coldV2 = await timeIt(3, async () => {
      await createLocalV2Provider().embed(chunks);
    });
    const providerV2 = createLocalV2Provider();
    await providerV2.embed(chunks);
    const warmV2 = await timeIt(3, async () => {
      await providerV2.embed(chunks);
    });
    const coldCpu = await cpuTimeIt(5, async () => {
      await createLocalProvider().embed(chunks);
    });
    const coldV2Cpu = await cpuTimeIt(5, async () => {
      await createLocalV2Provider().embed(chunks);
    });
    const baselineCpu = await cpuTimeIt(5, () => {
      for (const c of chunks) countTokens(c, { disallowedSpecial: new Set() });
    });
    const estimate = await timeIt(3, () => {
      for (const c of chunks) estimateTokens(c);
    });
    const baseline = await timeIt(3, () => {
      for (const c of chunks) countTokens(c, { disallowedSpecial: new Set() });
    });
    const perSec = (ms: number): string => Math.round((chunks.length / ms) * 1000).toLocaleString('en-US');
    out(`Local model speed, one core: ${chunks.length} chunks of ${Math.round(tokens / chunks.length)} cl100k tokens on average (ajv + yaml sources).\n`);
    out('| step | chunks/s | time vs cl100k count |');
    out('|---|---|---|');
    out(`| local-v1 embed, cold word memo | ${perSec(cold)} | ${f2(cold / baseline)}x |`);
    out(`| local-v1 embed, warm word memo | ${perSec(warm)} | ${f2(warm / baseline)}x |`);
    out(`| local-v2 embed, cold word memo | ${perSec(coldV2)} | ${f2(coldV2 / baseline)}x |`);
    out(`| local-v2 embed, warm word memo | ${perSec(warmV2)} | ${f2(warmV2 / baseline)}x |`);
    out(`| local-v1 countTokens (estimate) | ${perSec(estimate)} | ${f2(estimate / baseline)}x |`);
    out(`| baseline: cl100k countTokens | ${perSec(baseline)} | 1.00x |`);
    out(`\nTarget: 2,000 chunks/s. Cold run: local-v1 ${perSec(cold)}, local-v2 ${perSec(coldV2)} chunks/s.`);
    out(`In CPU time of this process (steadier on a shared machine): local-v1 ${perSec(coldCpu)}, local-v2 ${perSec(coldV2Cpu)}, cl100k count ${perSec(baselineCpu)} chunks/s.`);
    out(`local-v2 reads and checks its token table once per process: ${Math.round(tableLoad)} ms.\n`);
  } finally {
    for (const r of repos) r.dispose();
  }
}

function metricsRow(label: string, m: Metrics): string {
  return `| ${label} | ${m.questions} | ${f2(m.recallAt5)} | ${f2(m.recallAt10)} | ${f2(m.mrrAt10)} |`;
}

async function recall(): Promise<void> {
  const results = await compareVariants();
  const v1 = results.find((r) => r.name === 'local-v1');
  if (!v1) throw new Error('local-v1 missing from variants');
  out('Retrieval, file level, 40-line window chunks with the path as first line (bench/eval/README.md).');
  out('dev = ajv@8.20.0 lib (the set local-v1 was tuned on); holdout = yaml@2.9.1 dist (questions written before tuning, never tuned on).\n');
  out('| local-v1 | questions | Recall@5 | Recall@10 | MRR@10 |');
  out('|---|---|---|---|---|');
  out(metricsRow('dev, all', v1.dev.overall));
  out(metricsRow('dev, literal', v1.dev.literal));
  out(metricsRow('dev, paraphrased', v1.dev.paraphrased));
  out(metricsRow('holdout, all', v1.holdout.overall));
  out(metricsRow('holdout, literal', v1.holdout.literal));
  out(metricsRow('holdout, paraphrased', v1.holdout.paraphrased));
  out('\nAlternatives, each one change from local-v1:\n');
  out(variantsTable(results));
  out('');
  const v2results = await compareVariants(LOCAL_V2_VARIANTS);
  const v2 = v2results.find((r) => r.name === 'local-v2');
  if (!v2) throw new Error('local-v2 missing from variants');
  out('| local-v2 | questions | Recall@5 | Recall@10 | MRR@10 |');
  out('|---|---|---|---|---|');
  out(metricsRow('dev, all', v2.dev.overall));
  out(metricsRow('dev, literal', v2.dev.literal));
  out(metricsRow('dev, paraphrased', v2.dev.paraphrased));
  out(metricsRow('holdout, all', v2.holdout.overall));
  out(metricsRow('holdout, literal', v2.holdout.literal));
  out(metricsRow('holdout, paraphrased', v2.holdout.paraphrased));
  out('\nlocal-v2 alternatives, each one change from local-v2 (chosen on dev only):\n');
  out(variantsTable(v2results));
  out('');
}

async function openaiOverhead(): Promise<void> {
  const server = await startFakeOpenAI({ maxInputs: 2048, maxTokens: 300_000 });
  try {
    const dims = 256;
    const options = {
      embedding: 'text-embedding-3-large',
      dimensions: dims,
      baseUrl: server.baseUrl,
      apiKey: 'sk-bench-0000000000',
    };
    // Per-request overhead: one short input per request, one at a time, against
    // the same requests sent with a bare fetch and JSON.parse.
    const n = 200;
    const texts = Array.from({ length: n }, (_, i) => `function f${i}() { return ${i} }`);
    const single = await createProvider({ ...options, concurrency: 1, batchLimits: { maxInputs: 1 } });
    await single.embed(texts.slice(0, 20));
    const providerMs = await timeIt(3, async () => {
      await single.embed(texts);
    });
    const bare = await timeIt(3, async () => {
      for (const t of texts) {
        const res = await fetch(`${server.baseUrl}/embeddings`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', authorization: 'Bearer sk-bench-0000000000' },
          body: JSON.stringify({ model: 'text-embedding-3-large', input: [t], dimensions: dims, encoding_format: 'float' }),
        });
        const body = (await res.json()) as { data: unknown[] };
        if (body.data.length !== 1) throw new Error('bad reply');
      }
    });

    // A realistic run: many ~400-token chunks, batched to the API limits.
    const repo = buildEvalRepo(loadEvalSet('questions'));
    let chunks: string[];
    try {
      chunks = chunks400(repo.files);
    } finally {
      repo.dispose();
    }
    const many: string[] = [];
    for (let i = 0; many.length < 10_000; i++) many.push(`${i}\n${chunks[i % chunks.length] as string}`);
    // The fake server shares this process and core, so its own work runs one
    // request at a time; a fixed latency per request stands in for the API's.
    const latencyMs = 200;
    const runs: { concurrency: number; ms: number; requests: number; maxInFlight: number; maxInputs: number; maxTokens: number }[] = [];
    let result = { tokens: 0, costUsd: 0 };
    for (const concurrency of [1, 4]) {
      server.reset();
      server.setDelay(latencyMs);
      const batched = await createProvider({ ...options, concurrency });
      const t0 = performance.now();
      result = await batched.embed(many);
      runs.push({
        concurrency,
        ms: performance.now() - t0,
        requests: server.requests.length,
        maxInFlight: server.maxInFlight,
        maxInputs: Math.max(...server.requests.map((r) => r.inputs)),
        maxTokens: Math.max(...server.requests.map((r) => r.tokens)),
      });
    }
    const [one, four] = runs as [(typeof runs)[number], (typeof runs)[number]];

    out(`OpenAI provider against the fake server on 127.0.0.1 (text-embedding-3-large shortened to ${dims} dims).\n`);
    out('| measure | value |');
    out('|---|---|');
    out(`| one-input requests, sequential: provider | ${f2(providerMs / n)} ms/request |`);
    out(`| same requests, bare fetch + JSON.parse (baseline) | ${f2(bare / n)} ms/request |`);
    out(`| overhead per request (client, reply checks, bookkeeping) | ${f2((providerMs - bare) / n)} ms (${f2(providerMs / bare)}x) |`);
    out(`| 10,000 chunks of ~400 tokens: requests | ${four.requests} |`);
    out(`| inputs per request | ${Math.round(many.length / four.requests)} on average, max ${four.maxInputs} (limit 2,048) |`);
    out(`| tokens per request | max ${four.maxTokens.toLocaleString('en-US')} (limit 300,000) |`);
    out(`| tokens, cost at $0.13/M | ${result.tokens.toLocaleString('en-US')}, $${result.costUsd.toFixed(4)} |`);
    out(`| wall time with ${latencyMs} ms latency per request, 1 in flight | ${Math.round(one.ms)} ms (max in flight ${one.maxInFlight}) |`);
    out(`| same, 4 in flight (default) | ${Math.round(four.ms)} ms (max in flight ${four.maxInFlight}) |`);
    out('');
  } finally {
    await server.close();
  }
}

export default async function run(): Promise<void> {
  await localSpeed();
  await recall();
  await openaiOverhead();
}
