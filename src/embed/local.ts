/**
 * `local-v1`: the default, offline embedding model. No weights, no network, no
 * download: signed feature hashing of code words (see hashing.ts) with the
 * parameters pinned below. Vectors are a pure function of the text, identical
 * on every machine, so committed cache files agree between teammates.
 *
 * The name is the contract: any change to these parameters, the lexicon, the
 * stemmer, the identifier splitter or the hash makes different vectors and must
 * ship as a new name (`local-v2`), so a cache directory never mixes the two.
 */
import { createHashingEmbedder, type HashingParams } from './hashing.js';
import type { EmbeddingProvider, EmbedResult } from './types.js';

export const LOCAL_MODEL = 'local-v1';

/** Chosen by measurement on bench/eval (see bench/eval/README.md). */
export const LOCAL_V1_PARAMS: Readonly<HashingParams> = Object.freeze({
  dims: 512,
  wholeWeight: 1.0,
  partWeight: 1.0,
  conceptWeight: 2.0,
  gramWeight: 0.5,
  gramSize: 3,
  gramMinLength: 4,
  stemming: true,
  stopWords: true,
  // √tf, not 1 + ln(tf): it measured better, and IEEE square root is exact on
  // every platform where Math.log is only required to be approximate.
  tf: 'sqrt',
  bucketsPerFeature: 1,
});

/**
 * Largest input, in `countTokens` units. The model itself takes any length;
 * the limit only keeps chunks comparable in size to what the API models take.
 */
export const LOCAL_MAX_INPUT_TOKENS = 8192;

/**
 * A cheap token estimate, close to cl100k on source code without loading a
 * tokenizer: a word costs one token per started 5 characters (BPE merges common
 * identifiers into one or two), every other non-space character one token, and
 * a line break with its indentation one more.
 */
export function estimateTokens(text: string): number {
  let tokens = 0;
  let word = 0;
  const n = text.length;
  for (let i = 0; i < n; i++) {
    const c = text.charCodeAt(i);
    const isWordChar =
      (c >= 97 && c <= 122) || (c >= 65 && c <= 90) || (c >= 48 && c <= 57) || c === 95 || c === 36 || c >= 0x80;
    if (isWordChar) {
      word++;
      continue;
    }
    if (word > 0) {
      tokens += Math.ceil(word / 5);
      word = 0;
    }
    if (c === 10) tokens++;
    else if (c !== 32 && c !== 9 && c !== 13) tokens++;
  }
  if (word > 0) tokens += Math.ceil(word / 5);
  return tokens;
}

/** About 50 ms of work between event-loop turns. */
const YIELD_EVERY = 128;

export interface LocalProviderOptions {
  /** For experiments only: a different parameter set must also get a different `model` name. */
  params?: HashingParams;
  model?: string;
}

export function createLocalProvider(options: LocalProviderOptions = {}): EmbeddingProvider {
  const embedder = createHashingEmbedder(options.params ?? LOCAL_V1_PARAMS);
  const model = options.model ?? LOCAL_MODEL;
  return {
    model,
    dims: embedder.params.dims,
    maxInputTokens: LOCAL_MAX_INPUT_TOKENS,
    countTokens: estimateTokens,
    async embed(texts: readonly string[], opts?: { signal?: AbortSignal }): Promise<EmbedResult> {
      const vectors: Float32Array[] = [];
      let tokens = 0;
      for (let i = 0; i < texts.length; i++) {
        // CPU-bound work: give the event loop a turn now and then, so Ctrl+C and
        // progress output are not held up by a large batch.
        if (i > 0 && i % YIELD_EVERY === 0) await new Promise((resolve) => setImmediate(resolve));
        opts?.signal?.throwIfAborted();
        const text = texts[i] as string;
        vectors.push(embedder.embed(text));
        tokens += estimateTokens(text);
      }
      return { vectors, tokens, costUsd: 0 };
    },
  };
}
