import { join } from 'node:path';
import { EmbeddingCache } from '../cache/index.js';
import type { Embedding } from '../cache/index.js';
import { chunkerOptionsFor, chunkerSignature, chunkText, detectLanguage } from '../chunk/index.js';
import type { Chunk, ChunkerOptions } from '../chunk/index.js';
import type { EmbeddingProvider } from '../embed/index.js';
import { InterruptedError, NoIndexError } from '../errors.js';
import { createFileFilter, SKIP_REASONS } from '../filter/index.js';
import type { FileFilter, SkipReason } from '../filter/index.js';
import { streamBlobs } from '../git/index.js';
import type { LinguistAttributes, Repository } from '../git/index.js';
import type { Settings } from '../config/index.js';
import { printable } from '../printable.js';
import { IndexStore } from '../store/index-store.js';
import type { IndexIdentity, IndexMeta, RememberedSkip, StoredFile } from '../store/index-store.js';
import { collectFiles } from './collect.js';
import { planIndex } from './plan.js';
import type { WantedFile } from './plan.js';
import { rowsOf } from './rows.js';

/** The `index --json` document (shared/DESIGN.md), plus what a dry run would embed. */
export interface IndexSummary {
  files: number;
  blobs: number;
  chunks: number;
  /** Chunks whose vectors came from the cache (their blob's file, or an earlier version of the same path). */
  cache_hits: number;
  embedded_chunks: number;
  tokens: number;
  cost_usd: number;
  seconds: number;
  skipped: Record<string, number>;
  dry_run?: boolean;
  /** Dry run only: the files whose chunks would be embedded. */
  would_embed?: { path: string; chunks: number; tokens: number }[];
}

export type IndexPhase = 'listing' | 'embedding' | 'writing';

export interface IndexProgress {
  phase: IndexPhase;
  filesDone: number;
  filesTotal: number;
  chunks: number;
  embeddedChunks: number;
  tokens: number;
  costUsd: number;
}

export interface IndexRunOptions {
  repo: Repository;
  settings: Settings;
  provider: EmbeddingProvider;
  history?: boolean;
  worktree?: boolean;
  /** Re-embed everything, ignoring the cache (and rewriting it). */
  force?: boolean;
  /** Read, chunk and look up the cache, but call no API and write nothing. */
  dryRun?: boolean;
  signal?: AbortSignal;
  warn?: (message: string) => void;
  onProgress?: (progress: IndexProgress) => void;
  /** Told of every file left out, for `-v`. */
  onSkip?: (path: string, reason: SkipReason | 'empty') => void;
}

/** Inputs handed to the provider at once: enough for several requests in flight, bounded in memory. */
const BATCH_TEXTS = 4096;
const BATCH_TOKENS = 1_000_000;

export function gitctxDirOf(repo: Repository): string {
  return join(repo.root, '.gitctx');
}

/** One blob's chunks waiting for vectors, and the file versions that will show them. */
interface Job {
  blobSha: string;
  /** Every path with these bytes; the chunks are the blob's, the language each path's own. */
  files: { file: WantedFile; language: string }[];
  chunks: Chunk[];
  vectors: (Float32Array | undefined)[];
  missing: number;
  writeCache: boolean;
}

/**
 * Brings the index in line with the repository, cache first: a blob already in the
 * cache costs nothing, a changed file reuses the vectors of its unchanged chunks, and
 * only what is left is sent to the provider, batched across blobs. Each blob is
 * written to the cache as soon as its vectors arrive, so an interrupted run loses
 * nothing it paid for.
 */
export async function runIndex(options: IndexRunOptions): Promise<IndexSummary> {
  const started = performance.now();
  const { repo, settings, provider } = options;
  const warn = options.warn ?? ((m: string) => process.stderr.write(`${m}\n`));
  const filter = createFileFilter({ exclude: settings.index.exclude, maxFileBytes: settings.index.max_file_bytes });
  const collected = await collectFiles(repo, {
    history: options.history ?? false,
    worktree: options.worktree ?? false,
    refs: settings.index.refs,
    filter,
  });
  const skipped: Record<string, number> = {};
  const noteSkip = (path: string, reason: SkipReason | 'empty') => {
    skipped[reason] = (skipped[reason] ?? 0) + 1;
    options.onSkip?.(path, reason);
  };
  for (const [reason, paths] of collected.skipped) for (const path of paths) noteSkip(path, reason);

  const chunkerOptions = chunkerOptionsFor(provider);
  const identity: IndexIdentity = { model: provider.model, dims: provider.dims, chunker: chunkerSignature(chunkerOptions) };
  const gitctxDir = gitctxDirOf(repo);
  const dbDir = join(gitctxDir, 'db');
  const cache = new EmbeddingCache({
    dir: join(gitctxDir, 'embeddings'),
    model: provider.model,
    dims: provider.dims,
    encoding: settings.cache.encoding,
    chunker: identity.chunker,
    warn,
  });
  // A dry run changes nothing: an unreadable database reads as none (everything would be added).
  const store = options.dryRun
    ? await IndexStore.openForRead(dbDir, identity).catch((err: unknown) => {
        if (err instanceof NoIndexError) return undefined;
        throw err;
      })
    : await IndexStore.openForWrite(dbDir, identity, warn);
  try {
    const stored = store ? await store.storedFiles() : new Map<string, StoredFile>();
    const previous = options.force ? undefined : store?.previousMeta;
    const inputsOf = (file: WantedFile) => filter.inputsOf(collected.attributes.get(file.path));
    const knownSkips = rememberedSkips(previous, collected.wanted, inputsOf);
    const wanted = collected.wanted.filter((file) => {
      const known = knownSkips[file.fileId];
      if (known !== undefined) noteSkip(file.path, known.reason as SkipReason);
      return known === undefined;
    });
    const usualInputs = filter.inputsOf();
    const plan = planIndex(wanted, stored, options.force ?? false, staleDecisions(previous, wanted, stored, usualInputs, inputsOf));
    const previousBlobs = previousVersionsByPath(plan.remove, stored);
    if (store && !options.dryRun) await store.removeFiles(plan.remove);

    const removed = new Set(plan.remove);
    const kept = [...stored.values()].filter((f) => !removed.has(f.fileId));
    const run = new IndexRun({
      ...options,
      warn,
      filter,
      attributes: collected.attributes,
      cache,
      store: options.dryRun ? undefined : store,
      chunkerOptions,
      previousBlobs,
      noteSkip,
      filesTotal: plan.add.length,
      progressBase: { files: kept.length, chunks: kept.reduce((n, f) => n + f.chunks, 0) },
    });
    await run.process(plan.add);

    const indexedFiles = kept.length + run.indexedFiles;
    const chunks = kept.reduce((n, f) => n + f.chunks, 0) + run.indexedChunks;
    const blobs = new Set([...kept.map((f) => f.blobSha), ...run.indexedBlobs]).size;
    if (store && !options.dryRun) {
      options.onProgress?.({ ...run.progress(), phase: 'writing' });
      await store.commit({
        ...identity,
        indexed_commit: repo.head,
        files: indexedFiles,
        chunks,
        skipped_files: { ...knownSkips, ...run.contentSkips },
        filter_inputs: usualInputs,
        included_inputs: unusualInputs(wanted, run.contentSkips, usualInputs, inputsOf),
      });
    }
    return {
      files: indexedFiles,
      blobs,
      chunks,
      cache_hits: run.cacheHits,
      embedded_chunks: run.embeddedChunks,
      tokens: run.tokens,
      cost_usd: run.costUsd,
      seconds: Math.round((performance.now() - started) / 10) / 100,
      skipped,
      ...(options.dryRun ? { dry_run: true, would_embed: run.wouldEmbed } : {}),
    };
  } finally {
    store?.close();
  }
}

/** Old blobs of paths whose version is being replaced: their cached chunks may be reused. */
function previousVersionsByPath(removed: readonly string[], stored: ReadonlyMap<string, StoredFile>): Map<string, string[]> {
  const byPath = new Map<string, string[]>();
  for (const id of removed) {
    const file = stored.get(id);
    if (file === undefined) continue;
    const list = byPath.get(file.path) ?? [];
    list.push(file.blobSha);
    byPath.set(file.path, list);
  }
  return byPath;
}

const REMEMBERED_REASONS: ReadonlySet<string> = new Set([...SKIP_REASONS, 'empty']);

/**
 * The remembered content skips that still hold: of a file version still wanted (so
 * meta.json does not grow forever), decided with the filter inputs it has now (its
 * attributes, the settings and the filter's version). Any other is decided again.
 */
function rememberedSkips(
  previous: IndexMeta | undefined,
  wanted: readonly WantedFile[],
  inputsOf: (file: WantedFile) => string,
): Record<string, RememberedSkip> {
  const remembered = previous?.skipped_files ?? {};
  const held: Record<string, RememberedSkip> = {};
  for (const file of wanted) {
    if (!Object.hasOwn(remembered, file.fileId)) continue;
    const skip = remembered[file.fileId];
    // A bare reason (an older gitctx) or a malformed entry says nothing of its inputs.
    if (typeof skip !== 'object' || skip === null || typeof skip.inputs !== 'string' || typeof skip.reason !== 'string') continue;
    if (REMEMBERED_REASONS.has(skip.reason) && skip.inputs === inputsOf(file)) held[file.fileId] = { reason: skip.reason, inputs: skip.inputs };
  }
  return held;
}

/**
 * Indexed file versions whose content decision was made with other filter inputs than
 * they have now (an attribute added or removed, a setting or the filter changed): they
 * go through the filter again, their vectors from the cache. Without a record of the
 * inputs (an index from an older gitctx) every one is decided again, once.
 */
function staleDecisions(
  previous: IndexMeta | undefined,
  wanted: readonly WantedFile[],
  stored: ReadonlyMap<string, StoredFile>,
  usualInputs: string,
  inputsOf: (file: WantedFile) => string,
): Set<string> {
  const stale = new Set<string>();
  if (previous === undefined) return stale;
  const recorded = previous.included_inputs ?? {};
  for (const file of wanted) {
    if (!stored.has(file.fileId)) continue;
    const before = Object.hasOwn(recorded, file.fileId) ? recorded[file.fileId] : previous.filter_inputs;
    if (before !== inputsOf(file)) stale.add(file.fileId);
  }
  return stale;
}

/** The inputs of indexed files that differ from the usual ones (files with linguist attributes), for meta.json. */
function unusualInputs(
  wanted: readonly WantedFile[],
  skips: Readonly<Record<string, RememberedSkip>>,
  usualInputs: string,
  inputsOf: (file: WantedFile) => string,
): Record<string, string> {
  const unusual: Record<string, string> = {};
  for (const file of wanted) {
    const inputs = inputsOf(file);
    if (inputs !== usualInputs && !Object.hasOwn(skips, file.fileId)) unusual[file.fileId] = inputs;
  }
  return unusual;
}

interface IndexRunContext extends IndexRunOptions {
  warn: (message: string) => void;
  filter: FileFilter;
  attributes: Map<string, LinguistAttributes>;
  cache: EmbeddingCache;
  store: IndexStore | undefined;
  chunkerOptions: ChunkerOptions;
  previousBlobs: Map<string, string[]>;
  noteSkip: (path: string, reason: SkipReason | 'empty') => void;
  filesTotal: number;
  progressBase: { files: number; chunks: number };
}

interface QueuedChunk {
  job: Job;
  index: number;
}

/** The mutable state of one run's embedding phase. */
class IndexRun {
  indexedFiles = 0;
  indexedChunks = 0;
  readonly indexedBlobs = new Set<string>();
  cacheHits = 0;
  embeddedChunks = 0;
  tokens = 0;
  costUsd = 0;
  readonly contentSkips: Record<string, RememberedSkip> = {};
  readonly wouldEmbed: { path: string; chunks: number; tokens: number }[] = [];
  private filesDone = 0;
  private queue: QueuedChunk[] = [];
  private queueTokens = 0;
  /** Blob of the last version of each path finished in this run (history: the next version may reuse it). */
  private readonly lastBlobOfPath = new Map<string, string>();

  constructor(private readonly ctx: IndexRunContext) {}

  progress(): IndexProgress {
    return {
      phase: 'embedding',
      filesDone: this.filesDone,
      filesTotal: this.ctx.filesTotal,
      chunks: this.indexedChunks,
      embeddedChunks: this.embeddedChunks,
      tokens: this.tokens,
      costUsd: this.costUsd,
    };
  }

  async process(files: readonly WantedFile[]): Promise<void> {
    const groups = groupByBlob(files);
    for await (const { blobSha, content, cacheable } of this.contents(groups)) {
      this.throwIfAborted();
      const group = groups.get(blobSha) ?? [];
      await this.processBlob(blobSha, group, content, cacheable);
      this.filesDone += group.length;
      this.ctx.onProgress?.(this.progress());
      if (this.queue.length >= BATCH_TEXTS || this.queueTokens >= BATCH_TOKENS) await this.flush();
    }
    await this.flush();
    await this.ctx.store?.flush();
  }

  private throwIfAborted(): void {
    if (this.ctx.signal?.aborted) throw new InterruptedError();
  }

  /** Blob contents in plan order: committed ones through one cat-file process, uncommitted ones from disk. */
  private async *contents(
    groups: Map<string, WantedFile[]>,
  ): AsyncGenerator<{ blobSha: string; content: Buffer | null; cacheable: boolean }> {
    const wanted = [...groups].map(([sha, group]) => ({ sha, path: group.find((f) => f.uncommitted)?.path }));
    for await (const { sha, content, path, matchesSha } of streamBlobs(this.ctx.repo, wanted)) {
      if (content === null && path !== undefined) {
        this.ctx.warn(`${path} was deleted while indexing; skipped`);
        continue;
      }
      // A work-tree file hashed a moment ago whose bytes differ now (an edit since, or a clean filter such
      // as eol conversion) is indexed but never cached under that blob id, which names other bytes.
      yield { blobSha: sha, content, cacheable: matchesSha };
    }
  }

  private async processBlob(blobSha: string, files: WantedFile[], content: Buffer | null, cacheable: boolean): Promise<void> {
    if (content === null) {
      this.ctx.warn(`blob ${blobSha} (${files[0]?.path ?? '?'}) is missing from the repository; skipped`);
      return;
    }
    const included: WantedFile[] = [];
    for (const file of files) {
      const decision = this.ctx.filter.decideContent(file.path, content, this.ctx.attributes.get(file.path));
      if (decision.include) included.push(file);
      else this.skipContent(file, decision.reason);
    }
    if (included.length === 0) return;
    const text = content.toString('utf8');
    const chunks = chunkText(text, this.ctx.chunkerOptions);
    if (chunks.length === 0) {
      for (const file of included) this.skipContent(file, 'empty');
      return;
    }
    if (chunks.length > this.ctx.cache.maxChunks) {
      // Its vectors could never be cached: left out before any of them is paid for.
      const paths = included.map((file) => printable(file.path)).join(', ');
      this.ctx.warn(
        `${paths}: skipped as too-large (${chunks.length} chunks; one cache file holds ${this.ctx.cache.maxChunks} at ${this.ctx.provider.dims} dimensions)`,
      );
      for (const file of included) this.skipContent(file, 'too-large');
      return;
    }
    const cached = this.ctx.force || !cacheable ? undefined : await this.ctx.cache.get(blobSha);
    const newline = text.indexOf('\n');
    const firstLine = newline === -1 ? text : text.slice(0, newline);
    const job: Job = {
      blobSha,
      files: included.map((file) => ({ file, language: detectLanguage(file.path, firstLine) })),
      chunks,
      vectors: new Array<Float32Array | undefined>(chunks.length),
      missing: chunks.length,
      writeCache: cacheable && (cached === undefined || this.ctx.force === true),
    };
    await this.prepare(job, cached);
  }

  private skipContent(file: WantedFile, reason: SkipReason | 'empty'): void {
    this.contentSkips[file.fileId] = { reason, inputs: this.ctx.filter.inputsOf(this.ctx.attributes.get(file.path)) };
    this.ctx.noteSkip(file.path, reason);
  }

  /** Fills what the cache knows, queues the rest, finishes the job at once when nothing is left. */
  private async prepare(job: Job, cached: Embedding[] | undefined): Promise<void> {
    const known = new Map<string, Float32Array>();
    addKnown(known, cached);
    if (!this.ctx.force) {
      for (const path of new Set(job.files.map(({ file }) => file.path))) {
        const earlier = [...(this.ctx.previousBlobs.get(path) ?? []), this.lastBlobOfPath.get(path)];
        for (const sha of earlier) if (sha !== undefined && sha !== job.blobSha) addKnown(known, await this.ctx.cache.get(sha));
      }
    }
    job.chunks.forEach((chunk, i) => {
      const vector = known.get(chunk.hash);
      if (vector === undefined) return;
      job.vectors[i] = vector;
      job.missing -= 1;
      this.cacheHits += 1;
    });
    if (job.missing === 0) return this.finish(job);
    if (this.ctx.dryRun) {
      const pending = job.chunks.filter((_, i) => job.vectors[i] === undefined);
      const tokens = pending.reduce((n, c) => n + c.tokens, 0);
      this.embeddedChunks += pending.length;
      this.tokens += tokens;
      this.costUsd += (tokens * (this.ctx.provider.usdPerMillionTokens ?? 0)) / 1e6;
      this.wouldEmbed.push({ path: job.files[0]?.file.path ?? '', chunks: pending.length, tokens });
      return this.finish(job);
    }
    job.chunks.forEach((chunk, index) => {
      if (job.vectors[index] !== undefined) return;
      this.queue.push({ job, index });
      this.queueTokens += chunk.tokens;
    });
  }

  private async flush(): Promise<void> {
    if (this.queue.length === 0) return;
    const queued = this.queue;
    this.queue = [];
    this.queueTokens = 0;
    const texts = queued.map(({ job, index }) => (job.chunks[index] as Chunk).text);
    const finished: Promise<void>[] = [];
    const assign = (start: number, vectors: readonly Float32Array[]) => {
      vectors.forEach((vector, offset) => {
        const item = queued[start + offset];
        if (item === undefined || item.job.vectors[item.index] !== undefined) return;
        item.job.vectors[item.index] = vector;
        item.job.missing -= 1;
        this.embeddedChunks += 1;
        if (item.job.missing === 0) finished.push(this.finish(item.job));
      });
    };
    let reported = { tokens: 0, costUsd: 0 };
    try {
      const result = await this.ctx.provider.embed(texts, {
        ...(this.ctx.signal ? { signal: this.ctx.signal } : {}),
        onProgress: (done) => {
          reported = { tokens: reported.tokens + done.tokens, costUsd: reported.costUsd + done.costUsd };
          assign(done.start, done.vectors);
        },
      });
      assign(0, result.vectors);
      this.tokens += result.tokens;
      this.costUsd += result.costUsd;
    } catch (err) {
      // What arrived before the failure is cached; the next run resumes from there.
      this.tokens += reported.tokens;
      this.costUsd += reported.costUsd;
      await Promise.allSettled(finished);
      throw err;
    }
    await Promise.all(finished);
  }

  private async finish(job: Job): Promise<void> {
    const vectors = job.vectors as Float32Array[];
    if (job.writeCache && !this.ctx.dryRun) {
      const tokens = job.chunks.reduce((n, c) => n + c.tokens, 0);
      await this.ctx.cache.set(
        job.blobSha,
        job.chunks.map((chunk, i) => ({
          vector: vectors[i] as Float32Array,
          startLine: chunk.startLine,
          endLine: chunk.endLine,
          tokens: chunk.tokens,
          chunkHash: chunk.hash,
        })),
        // From the chunks alone, not from what this run paid, so every machine writes the same bytes.
        { tokens, costUsd: (tokens * (this.ctx.provider.usdPerMillionTokens ?? 0)) / 1e6 },
      );
    }
    for (const { file, language } of job.files) {
      if (!this.ctx.dryRun) await this.ctx.store?.add(rowsOf(file, language, job.chunks, vectors, this.ctx.provider.model));
      this.lastBlobOfPath.set(file.path, job.blobSha);
      this.indexedFiles += 1;
      this.indexedChunks += job.chunks.length;
    }
    this.indexedBlobs.add(job.blobSha);
  }
}

function groupByBlob(files: readonly WantedFile[]): Map<string, WantedFile[]> {
  const groups = new Map<string, WantedFile[]>();
  for (const file of files) {
    const group = groups.get(file.blobSha);
    if (group) group.push(file);
    else groups.set(file.blobSha, [file]);
  }
  return groups;
}

function addKnown(known: Map<string, Float32Array>, embeddings: Embedding[] | undefined): void {
  for (const e of embeddings ?? []) if (e.chunkHash !== undefined && !known.has(e.chunkHash)) known.set(e.chunkHash, e.vector);
}
