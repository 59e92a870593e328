/**
 * `local-v1`: the first offline embedding model (the default before local-v2).
 * No weights, no network, no download: signed feature hashing of code words
 * (see hashing.ts) with the parameters pinned below. Vectors are a pure function of the text, identical
 * on every machine, so committed cache files agree between teammates.
 *
 * The name is the contract: any change to these parameters, the lexicon, the
 * stemmer, the identifier splitter or the hash makes different vectors and must
 * ship as a new name (`local-v2`), so a cache directory never mixes the two.
 */
import { embedInProcess } from './in-process.js';
import { createHashingEmbedder, type HashingParams } from './hashing.js';
import type { EmbeddingProvider, EmbedOptions, EmbedResult } from './types.js';
import { LOCAL_MODEL, LOCAL_V1_MODEL } from './names.js';

export { LOCAL_MODEL, LOCAL_V1_MODEL };

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
 * tokenizer (median error 4%, 95th percentile 13% on 1,500-character slices of
 * ajv, yaml, commander and express): a least-squares fit over the counts of
 * words, word characters, punctuation characters and line breaks.
 */
export function estimateTokens(text: string): number {
  let words = 0;
  let wordChars = 0;
  let punctuation = 0;
  let newlines = 0;
  let inWord = false;
  const n = text.length;
  for (let i = 0; i < n; i++) {
    const c = text.charCodeAt(i);
    const isWordChar =
      (c >= 97 && c <= 122) || (c >= 65 && c <= 90) || (c >= 48 && c <= 57) || c === 95 || c === 36 || c >= 0x80;
    if (isWordChar) {
      if (!inWord) words++;
      wordChars++;
      inWord = true;
      continue;
    }
    inWord = false;
    if (c === 10) newlines++;
    else if (c !== 32 && c !== 9 && c !== 13) punctuation++;
  }
  return Math.ceil(0.543 * words + 0.138 * wordChars + 0.619 * punctuation + 0.605 * newlines);
}

export interface LocalProviderOptions {
  /** For experiments only: a different parameter set must also get a different `model` name. */
  params?: HashingParams;
  model?: string;
}

export function createLocalProvider(options: LocalProviderOptions = {}): EmbeddingProvider {
  const embedder = createHashingEmbedder(options.params ?? LOCAL_V1_PARAMS);
  const model = options.model ?? LOCAL_V1_MODEL;
  return {
    model,
    dims: embedder.params.dims,
    maxInputTokens: LOCAL_MAX_INPUT_TOKENS,
    countTokens: estimateTokens,
    async embed(texts: readonly string[], opts: EmbedOptions = {}): Promise<EmbedResult> {
      return embedInProcess(texts, (text) => embedder.embed(text), estimateTokens, opts);
    },
    usdPerMillionTokens: 0,
    inProcess: true,
  };
}
