/**
 * An embedding provider that runs an ONNX text encoder in process: the model's own tokenizer,
 * inputs sorted by length into batches with little padding, the batches spread over worker
 * threads (one ONNX Runtime session and one thread each), vectors pooled and normalised, and
 * handed back in input order with progress per batch.
 *
 * Cheap until used: creating the provider checks that ONNX Runtime is installed (before any
 * download) and reads the tokenizer; the model itself is loaded on the first `embed`.
 */
import { availableParallelism } from 'node:os';
import { InterruptedError, UsageError } from '../../errors.js';
import type { EmbeddingProvider, EmbedOptions, EmbedResult } from '../types.js';
import { consecutiveRuns, DEFAULT_LENGTH_BATCH_LIMITS, planLengthBatches } from './batches.js';
import type { LengthBatchLimits } from './batches.js';
import { resolveModel } from './model-files.js';
import type { ModelSourceOptions, ResolvedModel } from './model-files.js';
import { InThreadRunner, WorkerPool } from './pool.js';
import type { BatchRunner } from './pool.js';
import { loadRuntime, OnnxSession } from './runtime.js';
import type { RuntimeLoader, SessionOptions } from './runtime.js';
import { ModelTokenizer } from './tokenizer.js';

export interface OnnxProviderOptions extends ModelSourceOptions {
  /** Worker threads; default min(cores, 4). 1 runs in this thread. */
  threads?: number;
  /** How ONNX Runtime is imported (tests simulate a missing install). */
  loader?: RuntimeLoader;
  /** worker.js, when not beside this module (tests running from the sources). */
  workerUrl?: URL;
  batchLimits?: LengthBatchLimits;
  /** With `withoutWeights`: the size to plan with when the model's files do not state it. */
  plannedDims?: number;
}

export const MAX_DEFAULT_THREADS = 4;

export function defaultThreads(): number {
  return Math.max(1, Math.min(availableParallelism(), MAX_DEFAULT_THREADS));
}

export async function createOnnxProvider(name: string, options: OnnxProviderOptions = {}): Promise<OnnxProvider> {
  // First, so a missing runtime is said before hundreds of megabytes of weights are fetched.
  await loadRuntime(options.loader);
  const model = await resolveModel(name, options);
  const tokenizer = new ModelTokenizer({
    json: model.tokenizerJson,
    config: model.tokenizerConfig,
    maxTokens: model.maxTokens,
    queryPrefix: model.queryPrefix,
    documentPrefix: model.documentPrefix,
    origin: model.tokenizerOrigin,
  });
  const provider = new OnnxProvider(model, tokenizer, options);
  if (model.dims === undefined) {
    if (options.withoutWeights) provider.planWith(options.plannedDims ?? 1);
    else await provider.learnDims();
  }
  return provider;
}

export class OnnxProvider implements EmbeddingProvider {
  readonly model: string;
  readonly maxInputTokens: number;
  readonly usdPerMillionTokens = 0;
  readonly inProcess = true;
  private size: number | undefined;
  private readonly session: SessionOptions;
  private readonly threads: number;
  private inThread: InThreadRunner | undefined;
  private pool: WorkerPool | undefined;

  constructor(
    resolved: ResolvedModel,
    private readonly tokenizer: ModelTokenizer,
    private readonly options: OnnxProviderOptions,
  ) {
    this.model = resolved.cacheName;
    this.size = resolved.dims;
    this.maxInputTokens = tokenizer.maxTextTokens;
    this.session = { modelFile: resolved.modelFile, pooling: resolved.pooling, normalize: resolved.normalize, threads: 1 };
    this.threads = Math.max(1, Math.floor(options.threads ?? defaultThreads()));
  }

  get dims(): number {
    if (this.size === undefined) throw new Error('the model size is not known yet; this is a bug in gitctx');
    return this.size;
  }

  /** A dry run's stand-in size, for a model whose files do not state it (its weights are not fetched). */
  planWith(dims: number): void {
    this.size = dims;
  }

  /** For a model whose files do not state its size: the graph's output shape, else one probe run. */
  async learnDims(): Promise<void> {
    const ort = await loadRuntime(this.options.loader);
    const session = await OnnxSession.open(ort, this.session);
    try {
      this.size = session.declaredDims() ?? (await session.embed([this.tokenizer.encode('size probe', 'document').ids]))[0]?.length;
    } finally {
      await session.release();
    }
  }

  countTokens(text: string): number {
    return this.tokenizer.count(text);
  }

  async embed(texts: readonly string[], opts: EmbedOptions = {}): Promise<EmbedResult> {
    const { signal } = opts;
    if (signal?.aborted) throw new InterruptedError();
    const kind = opts.inputType ?? 'document';
    const encoded = texts.map((text) => this.tokenizer.encode(text, kind));
    const lengths = encoded.map((e) => e.ids.length);
    const batches = planLengthBatches(lengths, this.options.batchLimits ?? DEFAULT_LENGTH_BATCH_LIMITS);
    const runner = this.runnerFor(batches.length);
    const vectors: Float32Array[] = new Array<Float32Array>(texts.length);
    let tokens = 0;

    const runBatch = async (batch: number[]) => {
      const out = await runner.run(batch.map((i) => (encoded[i] as { ids: number[] }).ids));
      if (signal?.aborted) return;
      batch.forEach((index, k) => {
        const vector = out[k];
        if (vector === undefined || vector.length !== this.dims) {
          // A model.path directory holding another model than the preset it is named as.
          throw new UsageError(`${this.session.modelFile} gives vectors of ${vector?.length ?? 0} dimensions, but ${this.model} has ${this.dims}: is it the model model.embedding names?`);
        }
        vectors[index] = vector;
      });
      // Progress is told in runs of consecutive inputs, as the interface promises; a sorted batch makes several.
      for (const { start, end } of consecutiveRuns(batch)) {
        let runTokens = 0;
        for (let i = start; i < end; i++) runTokens += lengths[i] as number;
        tokens += runTokens;
        opts.onProgress?.({ start, end, vectors: vectors.slice(start, end), tokens: runTokens, costUsd: 0 });
      }
    };

    await runLimited(batches, runner.parallelism, runBatch, signal);
    return { vectors, tokens, costUsd: 0, truncated: encoded.filter((e) => e.truncated).length };
  }

  /** Worker threads pay off only with several batches; one (a search query) runs here. */
  private runnerFor(batches: number): BatchRunner {
    if (batches <= 1 || this.threads <= 1) {
      this.inThread ??= new InThreadRunner(this.session, this.options.loader);
      return this.inThread;
    }
    this.pool ??= new WorkerPool(this.session, this.threads, this.options.workerUrl);
    return this.pool;
  }

  /** Releases the sessions and stops the workers (a process may also just exit). */
  async close(): Promise<void> {
    await Promise.all([this.inThread?.close(), this.pool?.close()]);
    this.inThread = undefined;
    this.pool = undefined;
  }
}

/**
 * Runs `work` on every item, at most `limit` at a time. Rejects on the first failure or on
 * abort (InterruptedError) without waiting for work in flight, whose results are dropped.
 */
function runLimited<T>(items: readonly T[], limit: number, work: (item: T) => Promise<void>, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    let next = 0;
    let running = 0;
    let failed = false;
    const fail = (err: unknown) => {
      if (failed) return;
      failed = true;
      signal?.removeEventListener('abort', onAbort);
      reject(err instanceof Error ? err : new Error(String(err)));
    };
    const onAbort = () => fail(new InterruptedError());
    signal?.addEventListener('abort', onAbort, { once: true });
    const launch = () => {
      if (failed) return;
      if (next >= items.length && running === 0) {
        signal?.removeEventListener('abort', onAbort);
        resolve();
        return;
      }
      while (running < limit && next < items.length) {
        const item = items[next++] as T;
        running++;
        work(item).then(
          () => {
            running--;
            launch();
          },
          fail,
        );
      }
    };
    launch();
  });
}
