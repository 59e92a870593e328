/**
 * Shared pieces of the reliability suite: one distinctive API key that every test
 * hands the fake server and then hunts for in everything it captured, a recorder of
 * CLI runs, seeded repository content, and read-only inspection of `.gitctx/`
 * (cache files decoded through the real EmbeddingCache, LanceDB rows, leftovers).
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import * as lancedb from '@lancedb/lancedb';
import { EmbeddingCache, modelDirName } from '../../src/cache/index.js';
import type { Embedding } from '../../src/cache/index.js';
import { runCli } from '../helpers/cli.js';
import type { CliOptions, CliResult } from '../helpers/cli.js';
import type { TestRepo } from '../helpers/git-repo.js';

/** Distinctive enough that any occurrence in output or on disk can only be a leak. */
export const SECRET_KEY = 'sk-gitctx-SECRET-7f3a9c2e51d84b06a1e5';

export const API_MODEL = 'text-embedding-3-small';

/** Environment that points `gitctx` at a fake server with the secret key. */
export function apiEnv(baseUrl: string, extra: Record<string, string> = {}): Record<string, string> {
  return { GITCTX_MODEL__EMBEDDING: API_MODEL, OPENAI_BASE_URL: baseUrl, OPENAI_API_KEY: SECRET_KEY, ...extra };
}

/** Every CLI run of a test file, so the file can check at the end that none printed the key. */
export class RunRecorder {
  readonly outputs: { args: readonly string[]; stdout: string; stderr: string }[] = [];

  async run(args: readonly string[], options: CliOptions): Promise<CliResult> {
    const result = await runCli(args, options);
    this.outputs.push({ args, stdout: result.stdout, stderr: result.stderr });
    return result;
  }

  /** Runs whose stdout or stderr holds the key, by their arguments (empty when none). */
  leaks(secret = SECRET_KEY): string[] {
    return this.outputs.filter((o) => o.stdout.includes(secret) || o.stderr.includes(secret)).map((o) => o.args.join(' '));
  }
}

/** Every regular file under `dir`, recursively (absolute paths, sorted). */
export function walkFiles(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string) => {
    for (const entry of readdirSync(d, { withFileTypes: true })) {
      const path = join(d, entry.name);
      if (entry.isDirectory()) walk(path);
      else if (entry.isFile()) out.push(path);
    }
  };
  if (existsSync(dir)) walk(dir);
  return out.sort();
}

/** Files under `dir` whose bytes contain `needle` (cache files, LanceDB data, meta.json, locks...). */
export function filesContaining(dir: string, needle = SECRET_KEY): string[] {
  const bytes = Buffer.from(needle, 'utf8');
  return walkFiles(dir)
    .filter((path) => readFileSync(path).includes(bytes))
    .map((path) => relative(dir, path));
}

export function gitctxDir(repo: TestRepo): string {
  return join(repo.dir, '.gitctx');
}

/** Stages and commits the sources only: `.gitctx/` stays out of history, so a clone starts with no cache. */
export function commitSources(repo: TestRepo, message: string): string {
  repo.git(['add', '-A', '--', 'src']);
  repo.git(['commit', '-q', '--allow-empty', '--no-verify', '-m', message]);
  return repo.head();
}

const CACHE_FILE = /^([0-9a-f]{40}|[0-9a-f]{64})\.safetensors\.zst$/;
/** EmbeddingCache's temp names: `<sha>.safetensors.zst.<pid>-<n>-<hex>.tmp`. */
const CACHE_TEMP = /^[0-9a-f]{40,64}\.safetensors\.zst\.(\d+)-\d+-[0-9a-f]{8}\.tmp$/;

export interface CacheInspection {
  /** Blob ids of the complete cache files. */
  blobs: string[];
  /** Complete files that did not decode, with the warning each caused. */
  broken: { path: string; warnings: string[] }[];
  /** Temp files of interrupted writes, with the pid their name records. */
  temps: { path: string; pid: number }[];
  /** Anything else found under the model directory. */
  strays: string[];
}

/**
 * Decodes every cache file of the model with the real EmbeddingCache, as the next
 * index run would: a broken file is one that reads as a warned miss.
 */
export async function inspectCache(repo: TestRepo, key: { model: string; dims: number; chunker: string }): Promise<CacheInspection> {
  const root = join(gitctxDir(repo), 'embeddings');
  const result: CacheInspection = { blobs: [], broken: [], temps: [], strays: [] };
  for (const path of walkFiles(root)) {
    const name = path.slice(path.lastIndexOf('/') + 1);
    const temp = CACHE_TEMP.exec(name);
    if (temp) {
      result.temps.push({ path: relative(root, path), pid: Number(temp[1]) });
      continue;
    }
    const file = CACHE_FILE.exec(name);
    if (!file || !path.startsWith(join(root, modelDirName(key.model)))) {
      result.strays.push(relative(root, path));
      continue;
    }
    const warnings: string[] = [];
    const cache = new EmbeddingCache({ dir: root, model: key.model, dims: key.dims, chunker: key.chunker, warn: (m) => warnings.push(m) });
    const embeddings = await cache.get(file[1] as string);
    if (embeddings === undefined || warnings.length > 0) result.broken.push({ path: relative(root, path), warnings });
    else result.blobs.push(file[1] as string);
  }
  return result;
}

/** What the index was built with, from meta.json (undefined before any run wrote it). */
export function readMeta(repo: TestRepo): { model: string; dims: number; chunker: string; indexed_commit: string | null; files?: number; chunks?: number } | undefined {
  const path = join(gitctxDir(repo), 'db', 'meta.json');
  if (!existsSync(path)) return undefined;
  return JSON.parse(readFileSync(path, 'utf8'));
}

export interface IndexRow {
  path: string;
  blob_sha: string;
  chunk_index: number;
  start_line: number;
  end_line: number;
  content: string;
  language: string;
  is_head: boolean;
  commit_sha: string | null;
  vector: Float32Array | number[];
}

export async function tableRows(repo: TestRepo): Promise<IndexRow[]> {
  const db = await lancedb.connect(join(gitctxDir(repo), 'db'));
  try {
    const table = await db.openTable('chunks');
    try {
      return (await table.query().toArray()) as IndexRow[];
    } finally {
      table.close();
    }
  } finally {
    db.close();
  }
}

/** Rows are keyed by path + blob + chunk index: a key seen twice is a duplicate row. */
const rowKey = (r: Pick<IndexRow, 'path' | 'blob_sha' | 'chunk_index'>) => `${r.path}|${r.blob_sha}|${r.chunk_index}`;

export function duplicateKeys(rows: readonly IndexRow[]): string[] {
  const seen = new Set<string>();
  const dupes: string[] = [];
  for (const row of rows) {
    const key = rowKey(row);
    if (seen.has(key)) dupes.push(key);
    seen.add(key);
  }
  return dupes;
}

/** Everything a row says, in a form two indexes can be compared by (vectors bit for bit). */
export function rowFingerprints(rows: readonly IndexRow[]): Map<string, string> {
  return new Map(
    rows.map((r) => [
      rowKey(r),
      JSON.stringify([r.start_line, r.end_line, r.content, r.language, r.is_head, r.commit_sha, Buffer.from(Float32Array.from(r.vector).buffer).toString('base64')]),
    ]),
  );
}

/** Bytes of every file under a directory, by relative path. */
export function snapshot(dir: string): Map<string, Buffer> {
  return new Map(walkFiles(dir).map((path) => [relative(dir, path), readFileSync(path)]));
}

/** Embeddings compared bit for bit (vectors as bytes, spans as numbers). */
export function embeddingBits(embeddings: readonly Embedding[]): string {
  return JSON.stringify(
    embeddings.map((e) => [e.startLine, e.endLine, e.tokens, e.chunkHash ?? '', Buffer.from(e.vector.buffer, e.vector.byteOffset, e.vector.byteLength).toString('base64')]),
  );
}

const WORDS = [
  'cache', 'blob', 'vector', 'chunk', 'token', 'commit', 'branch', 'merge', 'index', 'search', 'query', 'ranking',
  'socket', 'buffer', 'stream', 'parser', 'lexer', 'schema', 'config', 'retry', 'backoff', 'timeout', 'mutex', 'signal',
  'invoice', 'payment', 'ledger', 'account', 'balance', 'refund', 'currency', 'tax', 'customer', 'order', 'cart', 'coupon',
  'sensor', 'reading', 'telemetry', 'battery', 'voltage', 'thermal', 'pressure', 'humidity', 'orbit', 'rocket', 'payload', 'thrust',
];

/** A word list drawn from `random`, so the same seed writes the same repository. */
function pick(random: () => number, count: number): string[] {
  return Array.from({ length: count }, () => WORDS[Math.floor(random() * WORDS.length)] as string);
}

/**
 * One function large enough (over a quarter of the chunker's target) to be its own
 * chunk, named and commented from seeded words so searches find distinct places.
 */
export function functionSource(random: () => number, name: string): string {
  const [a, b, c, d] = pick(random, 4);
  const noun = pick(random, 6).join(' ');
  return [
    `/** Handles the ${a} ${b} step: ${noun}. */`,
    `export function ${name}(input: ${capital(a)}Input, options: { ${c}: number; ${d}: string }): ${capital(b)}Result {`,
    `  const ${a}List = input.items.filter((item) => item.${c} > options.${c});`,
    `  if (${a}List.length === 0) return { ok: false, reason: 'no ${a} above ${c}' };`,
    `  const total = ${a}List.reduce((sum, item) => sum + item.${c} * ${Math.floor(random() * 90) + 10}, 0);`,
    `  const label = \`\${options.${d}}:${b}:\${total.toFixed(2)}\`;`,
    `  for (const item of ${a}List) {`,
    `    if (item.${d}.startsWith('${c}')) throw new Error(\`${name}: \${item.${d}} is not a ${b} ${d}\`);`,
    `    item.seen = (item.seen ?? 0) + 1;`,
    `  }`,
    `  return { ok: true, label, count: ${a}List.length, ${b}: total };`,
    `}`,
  ].join('\n');
}

function capital(word: string | undefined): string {
  return (word ?? 'x').charAt(0).toUpperCase() + (word ?? 'x').slice(1);
}

/** A module of `functions` functions; names include `id` so every file is distinct. */
export function moduleSource(random: () => number, id: string, functions: number): string {
  const parts = [`// ${id}: ${pick(random, 5).join(' ')}`];
  for (let f = 0; f < functions; f++) parts.push(functionSource(random, `${id.replace(/\W/g, '_')}_${pick(random, 1)[0]}${f}`));
  return `${parts.join('\n\n')}\n`;
}
