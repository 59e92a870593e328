/**
 * The apply step: carries a plan out. It removes the stored file versions the run
 * plan drops, sends the chunks the blob plans leave without a vector to the provider
 * (batched across blobs), writes each blob to the cache as soon as its vectors are
 * complete, so an interrupted run loses nothing it paid for, adds the rows, and
 * commits the index metadata. It decides nothing: what to add, reuse and skip comes
 * from the plan (`plan.ts`, `planner.ts`).
 */
import type { Chunk } from '../chunk/index.js';
import type { EmbeddingCache } from '../cache/index.js';
import type { EmbeddingProvider } from '../embed/index.js';
import type { IndexStore, IndexIdentity } from '../store/index-store.js';
import { unusualInputs } from './plan.js';
import type { RunPlan, WantedFile } from './plan.js';
import type { BlobAdd, BlobPlan } from './planner.js';
import { rowsOf } from './rows.js';
import type { IndexProgress, RunTally } from './tally.js';

/** Inputs handed to the provider at once: enough for several requests in flight, bounded in memory. */
const BATCH_TEXTS = 4096;
const BATCH_TOKENS = 1_000_000;
/**
 * The same for a model that runs in this process, which has no requests to keep in flight: a
 * batch's texts, vectors and cache writes are all alive at once (at 4,096 chunks of 1,024
 * dimensions, over 100 MB of buffers at the peak of a large cold run), and smaller batches
 * cost nothing.
 */
const IN_PROCESS_BATCH_TEXTS = 256;
const IN_PROCESS_BATCH_TOKENS = 64_000;

export interface ApplyOptions {
  /** Absent: cache only (`index --shard`): vectors go to the cache, nothing to a database. */
  store?: IndexStore;
  cache: Pick<EmbeddingCache, 'set'>;
  provider: EmbeddingProvider;
  identity: IndexIdentity;
  /** The commit the index will say it holds. */
  head: string | null;
  /** The filter inputs of a file version, for meta.json. */
  inputsOf: (file: WantedFile) => string;
  tally: RunTally;
  signal?: AbortSignal;
  onProgress?: (progress: IndexProgress) => void;
}

/** Applies the run plan, its blob plans taken up as they come. */
export async function applyPlan(plan: RunPlan, blobs: AsyncIterable<BlobPlan>, options: ApplyOptions): Promise<void> {
  const { store, tally } = options;
  if (store === undefined) return new Embedder(options).run(blobs);
  await store.removeFiles(plan.remove);
  await new Embedder(options).run(blobs);
  options.onProgress?.({ ...tally.progress(), phase: 'writing' });
  await store.commit({
    ...options.identity,
    indexed_commit: options.head,
    files: plan.kept.length + tally.indexedFiles,
    chunks: plan.kept.reduce((n, f) => n + f.chunks, 0) + tally.indexedChunks,
    skipped_files: { ...plan.knownSkips, ...tally.contentSkips },
    filter_inputs: plan.usualInputs,
    included_inputs: unusualInputs(plan.wanted, tally.contentSkips, plan.usualInputs, options.inputsOf),
  });
}

/** One blob's chunks waiting for vectors. */
interface Job {
  blobSha: string;
  add: BlobAdd;
  missing: number;
}

interface QueuedChunk {
  job: Job;
  index: number;
}

/** The mutable state of the embedding phase. */
class Embedder {
  private queue: QueuedChunk[] = [];
  private queueTokens = 0;
  private readonly batch: { texts: number; tokens: number };

  constructor(private readonly ctx: ApplyOptions) {
    this.batch = ctx.provider.inProcess === true ? { texts: IN_PROCESS_BATCH_TEXTS, tokens: IN_PROCESS_BATCH_TOKENS } : { texts: BATCH_TEXTS, tokens: BATCH_TOKENS };
  }

  async run(blobs: AsyncIterable<BlobPlan>): Promise<void> {
    const { tally } = this.ctx;
    for await (const step of blobs) {
      tally.planned(step);
      if (step.add) await this.take({ blobSha: step.blobSha, add: step.add, missing: step.add.embed.chunks });
      tally.filesDone += step.files;
      this.ctx.onProgress?.(tally.progress());
      if (this.queue.length >= this.batch.texts || this.queueTokens >= this.batch.tokens) await this.flush();
    }
    await this.flush();
    await this.ctx.store?.flush();
  }

  /** Finishes a blob the cache covers at once; queues the chunks of any other. */
  private async take(job: Job): Promise<void> {
    if (job.missing === 0) return this.finish(job);
    job.add.chunks.forEach((chunk, index) => {
      if (job.add.vectors[index] !== undefined) return;
      this.queue.push({ job, index });
      this.queueTokens += chunk.tokens;
    });
  }

  private async flush(): Promise<void> {
    if (this.queue.length === 0) return;
    const { tally } = this.ctx;
    const queued = this.queue;
    this.queue = [];
    this.queueTokens = 0;
    const texts = queued.map(({ job, index }) => (job.add.chunks[index] as Chunk).text);
    const finished: Promise<void>[] = [];
    const assign = (start: number, vectors: readonly Float32Array[]) => {
      vectors.forEach((vector, offset) => {
        const item = queued[start + offset];
        if (item === undefined || item.job.add.vectors[item.index] !== undefined) return;
        item.job.add.vectors[item.index] = vector;
        item.job.missing -= 1;
        tally.embeddedChunks += 1;
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
      tally.tokens += result.tokens;
      tally.costUsd += result.costUsd;
    } catch (err) {
      // What arrived before the failure is cached; the next run resumes from there.
      tally.tokens += reported.tokens;
      tally.costUsd += reported.costUsd;
      await Promise.allSettled(finished);
      throw err;
    }
    await Promise.all(finished);
  }

  private async finish(job: Job): Promise<void> {
    const { add } = job;
    const vectors = add.vectors as Float32Array[];
    if (add.writeCache) {
      const tokens = add.chunks.reduce((n, c) => n + c.tokens, 0);
      await this.ctx.cache.set(
        job.blobSha,
        add.chunks.map((chunk, i) => ({
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
    for (const { file, language } of add.files) {
      if (this.ctx.store) await this.ctx.store.add(rowsOf(file, language, add.chunks, vectors, this.ctx.provider.model));
      this.ctx.tally.finishedFile(file.path, job.blobSha, add);
    }
    this.ctx.tally.indexedBlobs.add(job.blobSha);
  }
}
