/**
 * Embeddings from OpenAI or any server that speaks its embeddings API (Ollama,
 * vLLM, LM Studio, LiteLLM). The official client does the HTTP; this module
 * owns everything around it that decides what ends up in the cache: batching
 * to the API's limits, a few requests in flight, bounded retries honouring
 * Retry-After, a timeout per request, and a strict check of every reply. A
 * reply that is not exactly one finite vector of the right size per input is
 * never returned: it is retried, then reported as an error.
 */
import OpenAI from 'openai';
import { AuthError, InterruptedError, ProviderUnreachableError, UsageError } from '../errors.js';
import { OPENAI_BATCH_LIMITS, planBatches, type Batch, type BatchLimits } from './batch.js';
import { displayUrl, redactSecrets, urlSecrets } from './mask.js';
import { KEY_HELP } from './names.js';
import { DEFAULT_RETRY_POLICY, retryAfterMs, retryDelay, sleep, type RetryPolicy } from './retry.js';
import type { EmbeddingProvider, EmbedOptions, EmbedProgress, EmbedResult } from './types.js';

export const OPENAI_BASE_URL = 'https://api.openai.com/v1';


/** A tokenizer as the API counts: `count` for batching and billing, `truncate` for oversized inputs. */
export interface Tokenizer {
  count(text: string): number;
  truncate(text: string, maxTokens: number): string;
}

export interface OpenAIProviderOptions {
  /** The model name sent to the API. */
  apiModel: string;
  /** Name of the vectors in the cache; differs from `apiModel` when vectors are shortened. */
  cacheModel?: string;
  dims: number;
  /** Sent as `dimensions` (shortened vectors); omitted when undefined. */
  requestDimensions?: number;
  usdPerMillionTokens: number;
  maxInputTokens: number;
  apiKey: string;
  /** Whether `apiKey` is a real key (a keyless local server gets a placeholder); shapes the 401 message. */
  keyProvided?: boolean;
  /** The user's key exists but is not sent here (a repository chose this endpoint); shapes the 401 message. */
  keyWithheld?: boolean;
  baseUrl: string;
  tokenizer: Tokenizer;
  /** Per request, from sending to the last byte of the reply. Default 60 s. */
  timeoutMs?: number;
  retry?: Partial<RetryPolicy>;
  /** Requests in flight at once. Default 4. */
  concurrency?: number;
  batchLimits?: Partial<BatchLimits>;
  /** 'base64' is 4x smaller on the wire; 'float' is what every compatible server supports. */
  encodingFormat?: 'float' | 'base64';
  /** For tests: jitter source. */
  random?: () => number;
}

/** A reply that cannot be trusted; retried like a server error. */
export class InvalidReplyError extends Error {}

type Outcome =
  | { kind: 'ok'; vectors: Float32Array[]; billedTokens: number | undefined }
  | { kind: 'retry'; reason: string; waitMs: number | undefined }
  | { kind: 'fatal'; error: Error };

function isRecord(x: unknown): x is Record<string, unknown> {
  return typeof x === 'object' && x !== null && !Array.isArray(x);
}

function decodeBase64Floats(s: string, dims: number): Float32Array {
  const bytes = Buffer.from(s, 'base64');
  if (bytes.length !== dims * 4) throw new InvalidReplyError(`vector has ${bytes.length / 4} dimensions, expected ${dims}`);
  const out = new Float32Array(dims);
  for (let i = 0; i < dims; i++) out[i] = bytes.readFloatLE(i * 4);
  return out;
}

/**
 * Checks an embeddings reply and returns its vectors in input order, each
 * L2-normalised (OpenAI's already are; some compatible servers' are not).
 * Throws InvalidReplyError on any doubt.
 */
export function decodeEmbeddingReply(
  body: unknown,
  expectedCount: number,
  expectedDims: number | undefined,
): { vectors: Float32Array[]; promptTokens: number | undefined } {
  // Without an expected size (probing a model), the first vector sets it for the rest.
  let dims = expectedDims;
  if (!isRecord(body) || !Array.isArray(body.data)) throw new InvalidReplyError('reply has no data list');
  const data: unknown[] = body.data;
  if (data.length !== expectedCount) {
    throw new InvalidReplyError(`reply has ${data.length} vectors for ${expectedCount} inputs`);
  }
  const vectors: (Float32Array | undefined)[] = new Array<Float32Array | undefined>(expectedCount).fill(undefined);
  for (const item of data) {
    if (!isRecord(item)) throw new InvalidReplyError('reply item is not an object');
    const index = item.index;
    if (typeof index !== 'number' || !Number.isInteger(index) || index < 0 || index >= expectedCount) {
      throw new InvalidReplyError(`reply item has a bad index ${String(index)}`);
    }
    if (vectors[index] !== undefined) throw new InvalidReplyError(`reply has index ${index} twice`);
    const raw = item.embedding;
    let v: Float32Array;
    if (typeof raw === 'string') {
      dims ??= Math.floor(Buffer.byteLength(raw, 'base64') / 4);
      v = decodeBase64Floats(raw, dims);
    } else if (Array.isArray(raw)) {
      dims ??= raw.length;
      if (raw.length !== dims) throw new InvalidReplyError(`vector has ${raw.length} dimensions, expected ${dims}`);
      v = new Float32Array(dims);
      for (let i = 0; i < dims; i++) {
        const x: unknown = raw[i];
        if (typeof x !== 'number') throw new InvalidReplyError('vector holds a non-number');
        v[i] = x;
      }
    } else {
      throw new InvalidReplyError('reply item has no embedding');
    }
    if (dims === 0) throw new InvalidReplyError('vector is empty');
    let sq = 0;
    for (let i = 0; i < dims; i++) {
      const x = v[i] as number;
      // Also catches values finite in float64 that overflow float32.
      if (!Number.isFinite(x)) throw new InvalidReplyError('vector holds a value that is not finite');
      sq += x * x;
    }
    if (sq === 0 || !Number.isFinite(sq)) throw new InvalidReplyError('vector has no length');
    const inv = 1 / Math.sqrt(sq);
    for (let i = 0; i < dims; i++) v[i] = (v[i] as number) * inv;
    vectors[index] = v;
  }
  const usage = body.usage;
  const promptTokens =
    isRecord(usage) && typeof usage.prompt_tokens === 'number' && Number.isFinite(usage.prompt_tokens)
      ? usage.prompt_tokens
      : undefined;
  return { vectors: vectors as Float32Array[], promptTokens };
}

/** The error's message plus the first system error code down its cause chain (ECONNREFUSED, ETIMEDOUT). */
function describe(err: unknown): string {
  if (!(err instanceof Error)) return String(err);
  let cause: unknown = (err as { cause?: unknown }).cause;
  for (let depth = 0; depth < 5 && cause instanceof Error; depth++) {
    const code = (cause as { code?: unknown }).code;
    if (typeof code === 'string') return `${err.message} (${code})`;
    cause = (cause as { cause?: unknown }).cause;
  }
  return err.message;
}

/** A tiny counting semaphore: at most `limit` tasks run at once. */
function semaphore(limit: number): <T>(task: () => Promise<T>) => Promise<T> {
  let active = 0;
  const waiting: (() => void)[] = [];
  return async <T>(task: () => Promise<T>): Promise<T> => {
    if (active >= limit) await new Promise<void>((resolve) => waiting.push(resolve));
    active++;
    try {
      return await task();
    } finally {
      active--;
      waiting.shift()?.();
    }
  };
}

/** Options shared by the provider and the dimension probe. */
export type RequesterOptions = Omit<OpenAIProviderOptions, 'dims' | 'cacheModel' | 'usdPerMillionTokens' | 'maxInputTokens' | 'tokenizer' | 'concurrency' | 'batchLimits'>;

interface Reply {
  vectors: Float32Array[];
  billedTokens: number | undefined;
}

/** One embeddings request with retries; `dims` undefined accepts the size the server returns (probing). */
function createRequester(options: RequesterOptions): (inputs: string[], signal: AbortSignal, dims: number | undefined) => Promise<Reply> {
  const policy: RetryPolicy = { ...DEFAULT_RETRY_POLICY, ...options.retry };
  const timeoutMs = options.timeoutMs ?? 60_000;
  const random = options.random ?? Math.random;
  const encodingFormat = options.encodingFormat ?? 'float';
  const { apiKey, baseUrl } = options;
  const where = serverName(baseUrl);
  const scrub = (s: string): string => redactSecrets(s, [apiKey, ...urlSecrets(baseUrl)]);
  // The client's own retries are off: it cannot be told to retry a reply that
  // parsed but is wrong, nor bound the total time, and its timeout stops at the headers.
  // Organization and project ids from the environment are the user's too: only with the user's key.
  const withheld = options.keyWithheld === true ? { organization: null, project: null } : {};
  const client = new OpenAI({ apiKey, baseURL: baseUrl, maxRetries: 0, timeout: timeoutMs, ...withheld });

  async function attempt(inputs: string[], signal: AbortSignal, dims: number | undefined): Promise<Outcome> {
    const timer = new AbortController();
    const timeout = setTimeout(() => timer.abort(new Error('timeout')), timeoutMs);
    const both = AbortSignal.any([signal, timer.signal]);
    try {
      const body = await client.embeddings.create(
        {
          model: options.apiModel,
          input: inputs,
          encoding_format: encodingFormat,
          ...(options.requestDimensions !== undefined ? { dimensions: options.requestDimensions } : {}),
        },
        { signal: both, maxRetries: 0, timeout: timeoutMs },
      );
      const { vectors, promptTokens } = decodeEmbeddingReply(body as unknown, inputs.length, dims);
      return { kind: 'ok', vectors, billedTokens: promptTokens };
    } catch (err) {
      if (signal.aborted) throw new InterruptedError();
      if (timer.signal.aborted) return { kind: 'retry', reason: `no reply within ${timeoutMs} ms`, waitMs: undefined };
      if (err instanceof InvalidReplyError) return { kind: 'retry', reason: `invalid reply: ${err.message}`, waitMs: undefined };
      if (err instanceof OpenAI.APIConnectionError) {
        return { kind: 'retry', reason: scrub(describe(err)), waitMs: undefined };
      }
      if (err instanceof OpenAI.APIError && typeof err.status === 'number') {
        const status = err.status;
        const detail = scrub(err.message);
        if ((status === 401 || status === 403) && options.keyWithheld === true) {
          return { kind: 'fatal', error: new AuthError(withheldKeyMessage(where, status, baseUrl)) };
        }
        if (status === 401 || status === 403) {
          const what = options.keyProvided === false ? 'needs an API key' : 'rejected the API key';
          return { kind: 'fatal', error: new AuthError(`${where} ${what} (${status}): ${KEY_HELP}`) };
        }
        if (status === 429 || status >= 500 || status === 408 || status === 409) {
          return { kind: 'retry', reason: detail, waitMs: retryAfterMs(err.headers) };
        }
        return {
          kind: 'fatal',
          error: new UsageError(
            `${where} refused the embedding request (${detail}); check model.embedding and model.dimensions`,
          ),
        };
      }
      // Anything else came from reading the reply (malformed JSON, cut-off body).
      return { kind: 'retry', reason: `unreadable reply: ${scrub(describe(err))}`, waitMs: undefined };
    } finally {
      clearTimeout(timeout);
    }
  }

  return async function request(inputs, signal, dims) {
    const started = Date.now();
    for (let retry = 0; ; retry++) {
      const outcome = await attempt(inputs, signal, dims);
      if (outcome.kind === 'ok') return outcome;
      if (outcome.kind === 'fatal') throw outcome.error;
      const wait = retryDelay(retry, policy, outcome.waitMs, random);
      const outOfTime = Date.now() - started + wait > policy.maxElapsedMs;
      if (retry >= policy.maxRetries || outOfTime) {
        const tries = retry + 1;
        throw new ProviderUnreachableError(
          `${where} failed after ${tries} attempt${tries === 1 ? '' : 's'}${outOfTime ? ' (retry time limit reached)' : ''}: ${outcome.reason}`,
        );
      }
      try {
        await sleep(wait, signal);
      } catch (err) {
        throw new InterruptedError(undefined, { cause: err });
      }
    }
  };
}

/**
 * A repository chose this endpoint and it wants a key: the user's OpenAI key is kept from it on
 * purpose, and the way to send one there is to name the endpoint yourself.
 */
function withheldKeyMessage(where: string, status: number, baseUrl: string): string {
  const url = displayUrl(baseUrl);
  return (
    `${where} needs an API key (${status}); your OpenAI key is not sent to an endpoint a repository chose: ` +
    `if it should get it, name the endpoint yourself with \`gitctx config set --user model.base_url ${url}\` ` +
    `(every repository) or GITCTX_MODEL__BASE_URL=${url} (one command)`
  );
}

function serverName(baseUrl: string): string {
  return baseUrl === OPENAI_BASE_URL ? 'OpenAI' : `the embedding server at ${displayUrl(baseUrl)}`;
}

/** Asks the server for one vector to learn a model's size (for models gitctx does not know). */
export async function probeDimensions(options: RequesterOptions, signal?: AbortSignal): Promise<number> {
  const request = createRequester(options);
  const reply = await request(['dimension probe'], signal ?? new AbortController().signal, undefined);
  return (reply.vectors[0] as Float32Array).length;
}

export function createOpenAIProvider(options: OpenAIProviderOptions): EmbeddingProvider {
  const limits: BatchLimits = { ...OPENAI_BATCH_LIMITS, ...options.batchLimits };
  const concurrency = Math.max(1, options.concurrency ?? 4);
  const { dims, tokenizer } = options;
  const model = options.cacheModel ?? options.apiModel;
  const request = createRequester(options);

  async function embed(texts: readonly string[], opts: EmbedOptions = {}): Promise<EmbedResult> {
    const { signal, onProgress } = opts;
    if (signal?.aborted) throw new InterruptedError();
    let truncated = 0;
    const counts: number[] = [];
    const inputs = texts.map((text) => {
      // The API rejects empty strings; a space embeds as "nothing" just the same.
      let input = text === '' ? ' ' : text;
      let n = tokenizer.count(input);
      if (n > options.maxInputTokens) {
        input = tokenizer.truncate(input, options.maxInputTokens);
        n = tokenizer.count(input);
        truncated++;
      }
      counts.push(n);
      return input;
    });
    const batches = planBatches(counts, limits);
    const vectors: Float32Array[] = new Array<Float32Array>(texts.length);
    let tokens = 0;
    // One failure (or the caller's abort) cancels every request still running.
    const stop = new AbortController();
    const onAbort = (): void => stop.abort(signal?.reason);
    signal?.addEventListener('abort', onAbort, { once: true });
    const limit = semaphore(concurrency);
    let failure: unknown;
    const run = async (batch: Batch): Promise<void> => {
      if (stop.signal.aborted) return;
      const result = await request(inputs.slice(batch.start, batch.end), stop.signal, dims);
      const billed = result.billedTokens ?? batch.tokens;
      tokens += billed;
      for (let i = 0; i < result.vectors.length; i++) vectors[batch.start + i] = result.vectors[i] as Float32Array;
      const progress: EmbedProgress = {
        start: batch.start,
        end: batch.end,
        vectors: result.vectors,
        tokens: billed,
        costUsd: (billed * options.usdPerMillionTokens) / 1e6,
      };
      onProgress?.(progress);
    };
    try {
      await Promise.all(
        batches.map((batch) =>
          limit(() => run(batch)).catch((err: unknown) => {
            // Keep the first real error; the others are mostly the cancellations it caused.
            if (failure === undefined || (failure instanceof InterruptedError && !signal?.aborted)) failure = err;
            stop.abort();
          }),
        ),
      );
    } finally {
      signal?.removeEventListener('abort', onAbort);
    }
    if (signal?.aborted) throw new InterruptedError();
    if (failure !== undefined) throw failure;
    return { vectors, tokens, costUsd: (tokens * options.usdPerMillionTokens) / 1e6, truncated };
  }

  return {
    model,
    dims,
    maxInputTokens: options.maxInputTokens,
    usdPerMillionTokens: options.usdPerMillionTokens,
    countTokens: (text) => tokenizer.count(text),
    embed,
  };
}
