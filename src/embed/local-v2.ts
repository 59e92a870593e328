/**
 * `local-v2`: an offline model that carries meaning beyond shared words. Two
 * halves, each L2-normalised, then joined:
 *
 * - semantic: the SIF-weighted mean (Arora et al. 2017) of static token rows
 *   distilled from Universal Sentence Encoder lite (token-table.ts), over the
 *   SentencePiece tokens of the text's words once identifiers are split
 *   (`parseJsonNumber` → `parse json number`), so code and a question in
 *   other words of related meaning land near each other (`sleep` with
 *   `setTimeout` and "wait a while", in the tests);
 * - lexical: local-v1's code-word features, unchanged, which keep exact
 *   identifiers and rare words sharp where the static table blurs them.
 *
 * Pure and deterministic like local-v1: sums in float64 in a fixed order,
 * weights precomputed in the table file (no Math.log/exp), only IEEE-exact
 * square roots. The name is the contract: any change to the table, the
 * parameters below, the tokenizer or the word splitting is a new name.
 */
import { embedInProcess } from './in-process.js';
import { createHashingEmbedder } from './hashing.js';
import { estimateTokens, LOCAL_MAX_INPUT_TOKENS, LOCAL_V1_PARAMS } from './local.js';
import { LOCAL_V2_MODEL } from './names.js';
import { RESERVED_TOKENS, SentencePieceTokenizer } from './sentencepiece.js';
import { f16Values, loadTokenTable, localV2TableUrl, type TokenTable } from './token-table.js';
import { splitIdentifier } from './tokens.js';
import type { EmbeddingProvider, EmbedOptions, EmbedResult } from './types.js';
import { WordMemo } from './word-memo.js';

export { LOCAL_V2_MODEL };
export const LOCAL_V2_TABLE_SHAPE = Object.freeze({ tokens: 8000, dims: 512 });

export interface LocalV2Params {
  /** Share of the squared norm (so of the cosine) given to the semantic half; the lexical half gets the rest. */
  semanticShare: number;
  /** `concat`: the halves side by side (cosine is exactly the weighted sum of the halves' cosines); `sum`: added in 512 dims. */
  combine: 'concat' | 'sum';
  /** Token frequency in a text: 'raw' counts, or 'sqrt' damps repeats. */
  tf: 'raw' | 'sqrt';
  /** Subtract the mean token row: single-token outputs share a large common direction (mean row norm 0.63). */
  center: boolean;
  /** local-v1's concept groups in the lexical half (they were fitted to the dev questions). */
  concepts: boolean;
}

/** Chosen on the dev set (bench/eval/questions.json) only; see bench/eval/README.md. */
export const LOCAL_V2_PARAMS: Readonly<LocalV2Params> = Object.freeze({
  semanticShare: 0.5,
  combine: 'concat',
  tf: 'sqrt',
  center: true,
  concepts: true,
});

export function localV2Dims(params: Readonly<LocalV2Params>): number {
  return params.combine === 'concat' ? LOCAL_V1_PARAMS.dims + LOCAL_V2_TABLE_SHAPE.dims : LOCAL_V1_PARAMS.dims;
}

let shippedTable: TokenTable | undefined;

/** The shipped table, read and checked once per process, on first use. */
export function shippedTokenTable(): TokenTable {
  shippedTable ??= loadTokenTable(localV2TableUrl(), LOCAL_V2_TABLE_SHAPE);
  return shippedTable;
}

/**
 * Mean of the non-reserved rows, summed in id order (fixed bits). Read from the stored binary16
 * rows through a table of their float32 values (the same values the decoded rows hold), so no
 * row need be decoded for it.
 */
function meanRow(table: TokenTable): Float64Array {
  // Locals, not the table's properties, in the loops: V8 reloads those on every step (3 times slower).
  const { dims, tokens, halves } = table;
  const mean = new Float64Array(dims);
  const value = f16Values();
  for (let id = RESERVED_TOKENS; id < tokens; id++) {
    const base = id * dims;
    for (let d = 0; d < dims; d++) mean[d] = (mean[d] as number) + (value[halves[base + d] as number] as number);
  }
  const n = tokens - RESERVED_TOKENS;
  for (let d = 0; d < dims; d++) mean[d] = (mean[d] as number) / n;
  return mean;
}

/**
 * acc += w · rows[base, base + width). Four lanes a step: about 1.7 times faster
 * in V8, and each acc[d] still gets the same additions in the same order, so the
 * same bits as the plain loop.
 */
function addScaledRow(acc: Float64Array, rows: Float32Array, base: number, width: number, w: number): void {
  const end = width - (width % 4);
  let d = 0;
  for (; d < end; d += 4) {
    const i = base + d;
    acc[d] = (acc[d] as number) + w * (rows[i] as number);
    acc[d + 1] = (acc[d + 1] as number) + w * (rows[i + 1] as number);
    acc[d + 2] = (acc[d + 2] as number) + w * (rows[i + 2] as number);
    acc[d + 3] = (acc[d + 3] as number) + w * (rows[i + 3] as number);
  }
  for (; d < width; d++) acc[d] = (acc[d] as number) + w * (rows[base + d] as number);
}

/** What every embedder over one table shares: the tokenizer's trie and the mean row, built once. */
const shared = new WeakMap<TokenTable, { tokenizer: SentencePieceTokenizer; mean: Float64Array }>();

function sharedFor(table: TokenTable): { tokenizer: SentencePieceTokenizer; mean: Float64Array } {
  let entry = shared.get(table);
  if (entry === undefined) {
    entry = { tokenizer: new SentencePieceTokenizer(table.vocab), mean: meanRow(table) };
    shared.set(table, entry);
  }
  return entry;
}

const WORD = /[\p{L}\p{N}_$]+/gu;
/** Per-word memo bound, as in local-v1. */
const MEMO_LIMIT = 50_000;

export interface LocalV2Embedder {
  readonly dims: number;
  embed(text: string): Float32Array;
  /** The semantic half alone, unit length (all zeros for a text without tokens). */
  semantic(text: string): Float64Array;
}

export function createLocalV2Embedder(table: TokenTable, params: Readonly<LocalV2Params> = LOCAL_V2_PARAMS): LocalV2Embedder {
  const p = Object.freeze({ ...params });
  const { tokenizer, mean } = sharedFor(table);
  const lexical = createHashingEmbedder(p.concepts ? LOCAL_V1_PARAMS : { ...LOCAL_V1_PARAMS, conceptWeight: 0 });
  const { weights } = table;
  const width = table.dims;
  // Each distinct word's token ids, packed (word-memo.ts).
  const memo = new WordMemo(MEMO_LIMIT);
  let memoIds = new Int32Array(1 << 12);
  const counts = new Uint32Array(table.tokens);
  const order: number[] = [];
  const lexicalDims = LOCAL_V1_PARAMS.dims;
  const dims = localV2Dims(p);
  if (p.combine === 'sum' && width !== lexicalDims) throw new Error('sum needs halves of the same size');
  const semanticScale = Math.sqrt(p.semanticShare);
  const lexicalScale = Math.sqrt(1 - p.semanticShare);

  /** The memo slot of a word's token ids. */
  function tokensOf(word: string): number {
    let slot = memo.find(word);
    if (slot === -1) {
      const parts = splitIdentifier(word);
      const all: number[] = [];
      for (const part of parts) all.push(...tokenizer.encode(part));
      slot = memo.add(word, all.length);
      memoIds = WordMemo.fit(memoIds, memo);
      memoIds.set(all, memo.start(slot));
    }
    return slot;
  }

  /** The semantic half into `acc` (all of it overwritten). */
  function semanticInto(text: string, acc: Float64Array): Float64Array {
    WORD.lastIndex = 0;
    let m: RegExpExecArray | null;
    while ((m = WORD.exec(text)) !== null) {
      const slot = tokensOf(m[0]);
      for (let i = memo.start(slot), end = memo.end(slot); i < end; i++) {
        const id = memoIds[i] as number;
        if (counts[id] === 0) order.push(id);
        (counts[id] as number)++;
      }
    }
    acc.fill(0);
    let total = 0;
    // First-seen order fixes the order of float additions, so the bits.
    for (const id of order) {
      const count = counts[id] as number;
      counts[id] = 0;
      const w = (weights[id] as number) * (p.tf === 'sqrt' ? Math.sqrt(count) : count);
      if (w === 0) continue;
      total += w;
      addScaledRow(acc, table.row(id), 0, width, w);
    }
    order.length = 0;
    // Σ w (row − mean) = Σ w row − (Σ w) mean.
    if (p.center && total > 0) for (let d = 0; d < width; d++) acc[d] = (acc[d] as number) - total * (mean[d] as number);
    let sq = 0;
    for (let d = 0; d < width; d++) sq += (acc[d] as number) * (acc[d] as number);
    if (sq > 0) {
      const inv = 1 / Math.sqrt(sq);
      for (let d = 0; d < width; d++) acc[d] = (acc[d] as number) * inv;
    }
    return acc;
  }

  // Reused by every call (each filled or zeroed first): two buffers of the C allocator per chunk fewer.
  const semScratch = new Float64Array(width);
  const outScratch = new Float64Array(dims);

  function embed(text: string): Float32Array {
    const sem = semanticInto(text, semScratch);
    const lex = lexical.embed(text);
    const out = outScratch;
    out.fill(0);
    const offset = p.combine === 'concat' ? lexicalDims : 0;
    for (let d = 0; d < lexicalDims; d++) out[d] = lexicalScale * (lex[d] as number);
    for (let d = 0; d < width; d++) out[offset + d] = (out[offset + d] as number) + semanticScale * (sem[d] as number);
    let sq = 0;
    for (let d = 0; d < dims; d++) sq += (out[d] as number) * (out[d] as number);
    // The lexical half is never all zeros (local-v1 gives a fixed vector for an empty text), so sq > 0.
    const inv = 1 / Math.sqrt(sq);
    const result = new Float32Array(dims);
    for (let d = 0; d < dims; d++) result[d] = (out[d] as number) * inv;
    return result;
  }

  return { dims, embed, semantic: (text) => semanticInto(text, new Float64Array(width)) };
}

export interface LocalV2ProviderOptions {
  /** For experiments only: different parameters must also get a different `model` name. */
  params?: LocalV2Params;
  model?: string;
  /** Defaults to the shipped table. */
  table?: () => TokenTable;
}

export function createLocalV2Provider(options: LocalV2ProviderOptions = {}): EmbeddingProvider {
  const params = options.params ?? LOCAL_V2_PARAMS;
  const loadTable = options.table ?? shippedTokenTable;
  let embedder: LocalV2Embedder | undefined;
  return {
    model: options.model ?? LOCAL_V2_MODEL,
    dims: localV2Dims(params),
    maxInputTokens: LOCAL_MAX_INPUT_TOKENS,
    countTokens: estimateTokens,
    async embed(texts: readonly string[], opts: EmbedOptions = {}): Promise<EmbedResult> {
      // Loaded on first use, so `gitctx status` and the like never read the table.
      const ready = (embedder ??= createLocalV2Embedder(loadTable(), params));
      return embedInProcess(texts, (text) => ready.embed(text), estimateTokens, opts);
    },
    usdPerMillionTokens: 0,
    inProcess: true,
  };
}
