/**
 * The reading half of planning: streams the bytes of the blobs a run plan adds, and
 * for each one decides (through the pure `planBlob`, `reuseCached`, `embedEstimate`)
 * which files it indexes, which chunks the cache already holds vectors for, and what
 * is left to embed at what cost. It reads git, the work tree and the cache; it opens
 * nothing for writing and calls no provider, so a dry run is this plan summed up, and
 * a real run is this plan applied (`apply.ts`).
 *
 * Memory stays flat because blob plans are yielded one at a time as the contents
 * stream by: each carries only its own chunks and reused vectors, and the consumer
 * (the dry run's summary, or the apply step, which holds at most one embedding batch)
 * lets it go before asking for the next. The run plan held whole lists ids only. The
 * alternative, listing every blob plan first and streaming the contents again to
 * apply it, would read, chunk and look up every blob twice on each real run.
 */
import type { Chunk, ChunkerOptions } from '../chunk/index.js';
import type { Embedding, EmbeddingCache } from '../cache/index.js';
import { InterruptedError } from '../errors.js';
import type { FileFilter } from '../filter/index.js';
import type { LinguistAttributes, Repository } from '../git/index.js';
import { printable } from '../printable.js';
import type { RememberedSkip } from '../store/index-store.js';
import { blobContents } from './contents.js';
import { embedEstimate, groupByBlob, planBlob, reuseCached } from './plan.js';
import type { ContentSkipReason, RunPlan, WantedFile } from './plan.js';

/** One blob's part of the plan. */
export interface BlobPlan {
  blobSha: string;
  /** The file versions with these bytes, included or not (progress counts them). */
  files: number;
  /** Content decisions that left files out, for meta.json: not made again while their inputs hold. */
  skips: Record<string, RememberedSkip>;
  /** What the index gains; absent when every file was left out or the blob is missing. */
  add?: BlobAdd;
}

/** A blob whose chunks go into the index, under each of its file versions. */
export interface BlobAdd {
  files: { file: WantedFile; language: string }[];
  chunks: Chunk[];
  /** Per chunk, the vector the cache already holds (its blob's file, or an earlier version of the same path). */
  vectors: (Float32Array | undefined)[];
  /** How many chunks have a vector from the cache. */
  reused: number;
  /** The chunks left to embed, their tokens and estimated cost. */
  embed: { chunks: number; tokens: number; costUsd: number };
  /** Whether the blob's vectors are (re)written to the cache once complete. */
  writeCache: boolean;
}

/** What planning reads from the cache: it never writes. */
export type CacheReader = Pick<EmbeddingCache, 'get' | 'maxChunks'>;

export interface BlobPlannerOptions {
  repo: Repository;
  plan: RunPlan;
  filter: FileFilter;
  attributes: ReadonlyMap<string, LinguistAttributes>;
  chunkerOptions: ChunkerOptions;
  cache: CacheReader;
  /** Plan to embed everything, ignoring the cache. */
  force: boolean;
  /** The provider's vector size and price, for the too-large warning and the cost estimate. */
  dims: number;
  usdPerMillionTokens: number | undefined;
  /**
   * The blob of the last version of each path the consumer has finished in this run
   * (history: the next version may reuse its chunks); read as each blob is planned.
   */
  finished: ReadonlyMap<string, string>;
  signal?: AbortSignal;
  warn: (message: string) => void;
  /** Told of each file version left out by its content, as it is decided. */
  noteSkip: (path: string, reason: ContentSkipReason) => void;
}

/** The plan of every blob the run plan adds, in the order their contents are read. */
export async function* planBlobs(options: BlobPlannerOptions): AsyncGenerator<BlobPlan> {
  const { filter, attributes, cache, warn } = options;
  const groups = groupByBlob(options.plan.add);
  for await (const { blobSha, content, cacheable } of blobContents(options.repo, groups, warn)) {
    if (options.signal?.aborted) throw new InterruptedError();
    const group = groups.get(blobSha) ?? [];
    const step: BlobPlan = { blobSha, files: group.length, skips: {} };
    if (content === null) {
      warn(`blob ${blobSha} (${group[0]?.path ?? '?'}) is missing from the repository; skipped`);
      yield step;
      continue;
    }
    const skip = (file: WantedFile, reason: ContentSkipReason) => {
      step.skips[file.fileId] = { reason, inputs: filter.inputsOf(attributes.get(file.path)) };
      options.noteSkip(file.path, reason);
    };
    const decided = planBlob(content, group, { filter, attributes, chunkerOptions: options.chunkerOptions, maxChunks: cache.maxChunks });
    for (const { file, reason } of decided.filtered) skip(file, reason);
    if (decided.dropped === 'too-large') {
      const paths = decided.included.map(({ file }) => printable(file.path)).join(', ');
      warn(`${paths}: skipped as too-large (${decided.chunks.length} chunks; one cache file holds ${cache.maxChunks} at ${options.dims} dimensions)`);
    }
    if (decided.dropped !== undefined) for (const { file } of decided.included) skip(file, decided.dropped);
    if (decided.dropped === undefined && decided.included.length > 0) {
      const cached = options.force || !cacheable ? undefined : await cache.get(blobSha);
      const { vectors, reused } = reuseCached(decided.chunks, [cached, ...(await earlierVersions(options, blobSha, decided.included))]);
      step.add = {
        files: decided.included,
        chunks: decided.chunks,
        vectors,
        reused,
        embed: embedEstimate(decided.chunks, vectors, options.usdPerMillionTokens),
        writeCache: cacheable && (cached === undefined || options.force),
      };
    }
    yield step;
  }
}

/** The cache entries of earlier versions of the blob's paths: replaced in the store, or finished earlier in this run. */
async function earlierVersions(
  options: BlobPlannerOptions,
  blobSha: string,
  files: readonly { file: WantedFile }[],
): Promise<(Embedding[] | undefined)[]> {
  if (options.force) return [];
  const entries: (Embedding[] | undefined)[] = [];
  for (const path of new Set(files.map(({ file }) => file.path))) {
    const earlier = [...(options.plan.previousBlobs.get(path) ?? []), options.finished.get(path)];
    for (const sha of earlier) if (sha !== undefined && sha !== blobSha) entries.push(await options.cache.get(sha));
  }
  return entries;
}
