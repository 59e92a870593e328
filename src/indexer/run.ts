/**
 * An index run, plan first: collect the file versions wanted and what the store holds,
 * plan what to add, remove and keep (`plan.ts`), plan each added blob as its contents
 * stream by (`planner.ts`), then either apply the plan (`runIndex`, through `apply.ts`)
 * or sum it up without changing anything (`dryRunIndex`, for `index --dry-run`).
 */
import { EmbeddingCache } from '../cache/index.js';
import { chunkerOptionsFor, chunkerSignature } from '../chunk/index.js';
import type { ChunkerOptions } from '../chunk/index.js';
import type { EmbeddingProvider } from '../embed/index.js';
import { NoIndexError } from '../errors.js';
import { createFileFilter } from '../filter/index.js';
import type { FileFilter, SkipReason } from '../filter/index.js';
import type { Repository } from '../git/index.js';
import type { Settings } from '../config/index.js';
import { IndexStore } from '../store/index-store.js';
import type { IndexIdentity, StoredFile } from '../store/index-store.js';
import type { IndexLocation } from '../store/location.js';
import { applyPlan } from './apply.js';
import { collectFiles } from './collect.js';
import type { Collected } from './collect.js';
import { planRun } from './plan.js';
import type { RunPlan, WantedFile } from './plan.js';
import { planBlobs } from './planner.js';
import { restrictToShard } from './shard.js';
import type { Shard } from './shard.js';
import { RunTally } from './tally.js';
import { Workspace } from '../workspace/index.js';
import type { IndexProgress } from './tally.js';

export type { IndexPhase, IndexProgress } from './tally.js';

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
  /** `index --shard K/N` only: the counts above are this job's share of the blobs. */
  shard?: Shard;
}

export interface IndexRunOptions {
  repo: Repository;
  settings: Settings;
  provider: EmbeddingProvider;
  history?: boolean;
  worktree?: boolean;
  /** Re-embed everything, ignoring the cache (and rewriting it). */
  force?: boolean;
  signal?: AbortSignal;
  warn?: (message: string) => void;
  onProgress?: (progress: IndexProgress) => void;
  /** Told of every file left out, for `-v`. */
  onSkip?: (path: string, reason: SkipReason | 'empty') => void;
  /** Where the index lives (`index.db_uri`); default `.gitctx/db`. */
  dbLocation?: IndexLocation;
  /**
   * Only this shard's blobs, planned against the cache alone (`index --shard`, see
   * shard.ts): `runShardIndex` fills the cache with them and never opens the database.
   */
  shard?: Shard;
}

/**
 * Brings the index in line with the repository, cache first: a blob already in the
 * cache costs nothing, a changed file reuses the vectors of its unchanged chunks, and
 * only what is left is sent to the provider, batched across blobs. Each blob is
 * written to the cache as soon as its vectors arrive, so an interrupted run loses
 * nothing it paid for.
 */
export async function runIndex(options: IndexRunOptions): Promise<IndexSummary> {
  const run = await startRun(options, (dbDir, identity, warn) => IndexStore.openForWrite(dbDir, identity, warn));
  const { store, plan, tally } = run;
  try {
    await applyPlan(plan, planBlobs(run.blobPlanner), {
      store,
      cache: run.cache,
      provider: options.provider,
      identity: run.identity,
      head: options.repo.head,
      inputsOf: run.inputsOf,
      tally,
      ...(options.signal ? { signal: options.signal } : {}),
      ...(options.onProgress ? { onProgress: options.onProgress } : {}),
    });
    return summaryOf(run);
  } finally {
    store.close();
  }
}

/**
 * `index --shard K/N`: embeds this shard's blobs that the cache lacks into the cache,
 * and nothing else. The database is neither opened nor created, so the plan is made
 * against an empty index (every wanted blob of the shard, each a cache hit or a miss);
 * N such runs, their caches merged, leave a final `runIndex` nothing to embed.
 */
export async function runShardIndex(options: IndexRunOptions & { shard: Shard }): Promise<IndexSummary> {
  const run = await startRun(options, () => Promise.resolve(undefined));
  await applyPlan(run.plan, planBlobs(run.blobPlanner), {
    cache: run.cache,
    provider: options.provider,
    identity: run.identity,
    head: options.repo.head,
    inputsOf: run.inputsOf,
    tally: run.tally,
    ...(options.signal ? { signal: options.signal } : {}),
    ...(options.onProgress ? { onProgress: options.onProgress } : {}),
  });
  return { ...summaryOf(run), shard: options.shard };
}

/**
 * The plan of `runIndex`, summed up: read, chunk and look up the cache, but call no
 * provider and write nothing. An unreadable database reads as none (everything would
 * be added); what would be embedded is listed per blob, under its first path.
 */
export async function dryRunIndex(options: IndexRunOptions): Promise<IndexSummary> {
  const run = await startRun(options, (dbDir, identity) =>
    // A shard plans against the cache alone, as its real run does.
    options.shard
      ? Promise.resolve(undefined)
      : IndexStore.openForRead(dbDir, identity).catch((err: unknown) => {
          if (err instanceof NoIndexError) return undefined;
          throw err;
        }),
  );
  const { tally } = run;
  try {
    const wouldEmbed: { path: string; chunks: number; tokens: number }[] = [];
    for await (const step of planBlobs(run.blobPlanner)) {
      tally.planned(step);
      if (step.add) {
        const { embed } = step.add;
        if (embed.chunks > 0) {
          tally.embeddedChunks += embed.chunks;
          tally.tokens += embed.tokens;
          tally.costUsd += embed.costUsd;
          wouldEmbed.push({ path: step.add.files[0]?.file.path ?? '', chunks: embed.chunks, tokens: embed.tokens });
        }
        for (const { file } of step.add.files) tally.finishedFile(file.path, step.blobSha, step.add);
        tally.indexedBlobs.add(step.blobSha);
      }
      tally.filesDone += step.files;
      options.onProgress?.(tally.progress());
    }
    return { ...summaryOf(run), dry_run: true, would_embed: wouldEmbed, ...(options.shard ? { shard: options.shard } : {}) };
  } finally {
    run.store?.close();
  }
}

interface StartedRun<S extends IndexStore | undefined> {
  started: number;
  store: S;
  plan: RunPlan;
  tally: RunTally;
  identity: IndexIdentity;
  cache: EmbeddingCache;
  inputsOf: (file: WantedFile) => string;
  skipped: Record<string, number>;
  blobPlanner: Parameters<typeof planBlobs>[0];
}

/** Everything up to the run plan: the files wanted, the store opened its way, what it holds, what changes. */
async function startRun<S extends IndexStore | undefined>(
  options: IndexRunOptions,
  openStore: (dbDir: IndexLocation, identity: IndexIdentity, warn: (message: string) => void) => Promise<S>,
): Promise<StartedRun<S>> {
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
  const workspace = new Workspace(repo.root);
  const cache = new EmbeddingCache({
    dir: workspace.embeddingsDir,
    model: provider.model,
    dims: provider.dims,
    encoding: settings.cache.encoding,
    chunker: identity.chunker,
    warn,
  });
  const store = await openStore(options.dbLocation ?? workspace.dbDir, identity, warn);
  try {
    const stored = store ? await store.storedFiles() : new Map<string, StoredFile>();
    const inputsOf = (file: WantedFile) => filter.inputsOf(collected.attributes.get(file.path));
    const plan = restrictToShard(planRun({
      wanted: collected.wanted,
      stored,
      previous: options.force ? undefined : store?.previousMeta,
      force: options.force ?? false,
      usualInputs: filter.inputsOf(),
      inputsOf,
    }), options.shard);
    for (const file of collected.wanted) {
      const known = plan.knownSkips[file.fileId];
      if (known !== undefined) noteSkip(file.path, known.reason as SkipReason);
    }
    const tally = new RunTally(plan.add.length);
    return {
      started,
      store,
      plan,
      tally,
      identity,
      cache,
      inputsOf,
      skipped,
      blobPlanner: blobPlannerOptions(options, { plan, filter, collected, chunkerOptions, cache, tally, warn, noteSkip }),
    };
  } catch (err) {
    store?.close();
    throw err;
  }
}

function blobPlannerOptions(
  options: IndexRunOptions,
  parts: {
    plan: RunPlan;
    filter: FileFilter;
    collected: Collected;
    chunkerOptions: ChunkerOptions;
    cache: EmbeddingCache;
    tally: RunTally;
    warn: (message: string) => void;
    noteSkip: (path: string, reason: SkipReason | 'empty') => void;
  },
): Parameters<typeof planBlobs>[0] {
  return {
    repo: options.repo,
    plan: parts.plan,
    filter: parts.filter,
    attributes: parts.collected.attributes,
    chunkerOptions: parts.chunkerOptions,
    cache: parts.cache,
    force: options.force ?? false,
    dims: options.provider.dims,
    usdPerMillionTokens: options.provider.usdPerMillionTokens,
    finished: parts.tally.finished,
    ...(options.signal ? { signal: options.signal } : {}),
    warn: parts.warn,
    noteSkip: parts.noteSkip,
  };
}

function summaryOf(run: StartedRun<IndexStore | undefined>): IndexSummary {
  const { plan, tally } = run;
  return {
    files: plan.kept.length + tally.indexedFiles,
    blobs: new Set([...plan.kept.map((f) => f.blobSha), ...tally.indexedBlobs]).size,
    chunks: plan.kept.reduce((n, f) => n + f.chunks, 0) + tally.indexedChunks,
    cache_hits: tally.cacheHits,
    embedded_chunks: tally.embeddedChunks,
    tokens: tally.tokens,
    cost_usd: tally.costUsd,
    seconds: Math.round((performance.now() - run.started) / 10) / 100,
    skipped: run.skipped,
  };
}
