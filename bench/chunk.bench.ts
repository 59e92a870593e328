/**
 * Chunking throughput on a real multi-file source tree (TypeScript, JavaScript
 * and markdown from installed packages), against the one cost no chunker can
 * avoid: running the same tokenizer once over every file. The local embedding
 * provider embeds thousands of chunks a second; the chunker must not be what
 * indexing waits for.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

import { countTokens as o200kCount } from 'gpt-tokenizer/encoding/o200k_base';

import { DEFAULT_TARGET_TOKENS, chunkText, type Chunk, type ChunkerOptions } from '../src/chunk/index.js';
import { estimateTokens } from '../src/embed/local.js';

/** Source trees to read, relative to node_modules, with the file endings taken from each. */
const TREES: ReadonlyArray<[string, RegExp]> = [
  ['openai/src', /\.ts$/],
  ['@modelcontextprotocol/sdk/dist/esm', /\.js$/],
  ['yaml/dist', /\.js$/],
  ['zod/src', /\.ts$/],
];
const MAX_FILE_BYTES = 512 * 1024;
const RUNS = 3;

function nodeModules(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const candidate = join(dir, 'node_modules');
    if (existsSync(join(candidate, 'gpt-tokenizer'))) return candidate;
    const parent = dirname(dir);
    if (parent === dir) throw new Error('node_modules not found above the bench');
    dir = parent;
  }
}

function walk(dir: string, ending: RegExp, out: string[]): void {
  for (const entry of readdirSync(dir, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) walk(path, ending, out);
    else if (ending.test(entry.name) && statSync(path).size <= MAX_FILE_BYTES) out.push(path);
  }
}

function corpus(): string[] {
  const root = nodeModules();
  const paths: string[] = [];
  for (const [tree, ending] of TREES) {
    const dir = join(root, tree);
    if (existsSync(dir)) walk(dir, ending, paths);
  }
  // Prose too: every package README.
  for (const name of readdirSync(root).sort()) {
    const readme = join(root, name, 'README.md');
    if (existsSync(readme)) paths.push(readme);
  }
  return paths.map((p) => readFileSync(p, 'utf8'));
}

const PLAIN = { disallowedSpecial: new Set<string>() };

const TOKENIZERS: ReadonlyArray<[name: string, count: (text: string) => number, maxTokens: number]> = [
  ['o200k_base (gpt-tokenizer)', (t) => o200kCount(t, PLAIN), 8191],
  ['local-v1 estimate', estimateTokens, 8192],
  ['chars / 4 (chunker logic alone)', (t) => Math.ceil(t.length / 4), 8192],
];

function best(run: () => void): number {
  let fastest = Number.POSITIVE_INFINITY;
  for (let i = 0; i < RUNS; i++) {
    (globalThis as { gc?: () => void }).gc?.();
    const started = performance.now();
    run();
    fastest = Math.min(fastest, performance.now() - started);
  }
  return fastest;
}

function percentile(sorted: readonly number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))] ?? 0;
}

export default async function (): Promise<void> {
  const texts = corpus();
  const bytes = texts.reduce((n, t) => n + Buffer.byteLength(t), 0);
  const lines = texts.reduce((n, t) => n + t.split('\n').length, 0);
  const mb = bytes / 1e6;
  process.stdout.write(
    `${texts.length} files, ${mb.toFixed(1)} MB, ${lines} lines; target ${DEFAULT_TARGET_TOKENS} tokens; best of ${RUNS} runs.\n\n`,
  );
  process.stdout.write('| tokenizer | tokenize once, MB/s | chunk, MB/s | lines/s | chunks/s | chunk ÷ tokenize-once time | chunks | tokens p50 / p90 / max |\n');
  process.stdout.write('|---|---:|---:|---:|---:|---:|---:|---|\n');
  for (const [name, count, maxTokens] of TOKENIZERS) {
    const options: ChunkerOptions = { targetTokens: DEFAULT_TARGET_TOKENS, maxTokens, countTokens: count, tokenizerId: name };
    const once = best(() => {
      for (const t of texts) count(t);
    });
    let chunks: Chunk[] = [];
    const chunking = best(() => {
      chunks = [];
      for (const t of texts) chunks.push(...chunkText(t, options));
    });
    const sizes = chunks.map((c) => c.tokens).sort((a, b) => a - b);
    const seconds = chunking / 1000;
    const row = [
      name,
      (mb / (once / 1000)).toFixed(1),
      (mb / seconds).toFixed(1),
      Math.round(lines / seconds).toLocaleString('en-US'),
      Math.round(chunks.length / seconds).toLocaleString('en-US'),
      `${(chunking / once).toFixed(2)}×`,
      chunks.length.toLocaleString('en-US'),
      `${percentile(sizes, 0.5)} / ${percentile(sizes, 0.9)} / ${sizes.at(-1) ?? 0}`,
    ];
    process.stdout.write(`| ${row.join(' | ')} |\n`);
  }
  process.stdout.write(
    '\nChunking counts each distinct line once and each final chunk once (the exact `tokens`), so with a\n' +
      'real tokenizer it costs about two tokenizer passes; the chars/4 row is the chunker without the tokenizer.\n',
  );
}
