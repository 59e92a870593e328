/**
 * The token table behind `local-v2` (models/local-v2.safetensors.zst, built by
 * scripts/distill-local-v2.mjs): one 512-value row per SentencePiece token of
 * Universal Sentence Encoder lite, its SIF weight, and the vocabulary. Stored
 * in the project's own cache format (safetensors in one zstd frame) and read
 * with the same strict decoder as cache files, then checked for shape, dtype
 * and finite values before use: a damaged install fails with a clear message
 * instead of giving wrong vectors.
 */
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { ExitCode, GitctxError } from '../errors.js';
import { f16BitsToF32, fromF16 } from '../cache/encoding.js';
import { decodeSafetensors, leBytesToFloat32, leBytesToUint16 } from '../cache/safetensors.js';
import type { Tensor } from '../cache/safetensors.js';
import { zstdDecompress } from '../cache/zstd.js';
import type { VocabEntry } from './sentencepiece.js';

export const TOKEN_TABLE_FORMAT = 'gitctx-token-table/1';

export interface TokenTable {
  readonly tokens: number;
  readonly dims: number;
  /**
   * Row-major `tokens x dims`, decoded whole on first access. An embedder reads only the rows of
   * its text's tokens (`row`), so a search decodes a few dozen of the 8,000.
   */
  readonly rows: Float32Array;
  /** Row `id` alone (`dims` values), decoded on first use. */
  row(id: number): Float32Array;
  /** The rows as stored: row-major binary16 bit patterns, every one finite (checked when read). */
  readonly halves: Uint16Array;
  /** SIF weight a / (a + p(token)) per token; 0 for the reserved ids. */
  readonly weights: Float32Array;
  readonly vocab: readonly VocabEntry[];
}

const TABLE_FILE = 'models/local-v2.safetensors.zst';
/**
 * The shipped table, at the package root: two directories up from this module
 * in src/ and dist/, three in the benchmarks' build (dist-bench/src/).
 */
export function localV2TableUrl(): URL {
  const candidates = [new URL(`../../${TABLE_FILE}`, import.meta.url), new URL(`../../../${TABLE_FILE}`, import.meta.url)];
  return candidates.find((url) => existsSync(fileURLToPath(url))) ?? (candidates[0] as URL);
}

/** The table file is part of the installation: anything wrong with it is a broken install, not bad input. */
export class TokenTableError extends GitctxError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(`local-v2 model file: ${message}`, ExitCode.unexpected, options);
  }
}

function tensor(tensors: ReadonlyMap<string, Tensor>, name: string, dtype: Tensor['dtype'], shape: readonly number[]): Tensor {
  const t = tensors.get(name);
  if (t === undefined) throw new TokenTableError(`no tensor ${name}`);
  if (t.dtype !== dtype || t.shape.length !== shape.length || t.shape.some((d, i) => d !== shape[i])) {
    throw new TokenTableError(`tensor ${name} is ${t.dtype} [${t.shape.join(', ')}], expected ${dtype} [${shape.join(', ')}]`);
  }
  return t;
}

function parseVocab(text: string | undefined, tokens: number): VocabEntry[] {
  let vocab: unknown;
  try {
    vocab = JSON.parse(text ?? '');
  } catch (err) {
    throw new TokenTableError('metadata vocab is not JSON', { cause: err });
  }
  const ok =
    Array.isArray(vocab) &&
    vocab.length === tokens &&
    vocab.every(
      (e: unknown) =>
        Array.isArray(e) && e.length === 2 && typeof e[0] === 'string' && e[0].length > 0 && (e[1] === null || (typeof e[1] === 'number' && Number.isFinite(e[1]))),
    );
  if (!ok) throw new TokenTableError(`metadata vocab is not ${tokens} [piece, score] pairs`);
  return vocab as VocabEntry[];
}

/** Decodes and checks a table file's bytes. Pure. */
export function decodeTokenTable(compressed: Uint8Array, expected: { tokens: number; dims: number }): TokenTable {
  let decoded;
  try {
    decoded = decodeSafetensors(zstdDecompress(compressed));
  } catch (err) {
    throw new TokenTableError(err instanceof Error ? err.message : String(err), { cause: err });
  }
  const { metadata, tensors } = decoded;
  if (metadata.format !== TOKEN_TABLE_FORMAT) throw new TokenTableError(`format ${JSON.stringify(metadata.format)}, expected ${TOKEN_TABLE_FORMAT}`);
  const { tokens, dims } = expected;
  if (metadata.tokens !== String(tokens) || metadata.dims !== String(dims)) {
    throw new TokenTableError(`${metadata.tokens} x ${metadata.dims} table, expected ${tokens} x ${dims}`);
  }
  const halves = leBytesToUint16(tensor(tensors, 'embeddings', 'F16', [tokens, dims]).data);
  const weights = leBytesToFloat32(tensor(tensors, 'weights', 'F32', [tokens]).data);
  // Checked on the stored bits: a binary16 value is infinite or NaN exactly when its exponent is all ones.
  for (let i = 0; i < halves.length; i++) {
    const h = halves[i] as number;
    if ((h & 0x7c00) === 0x7c00) throw new TokenTableError(`row ${Math.floor(i / dims)} has a value ${f16BitsToF32(h)}`);
  }
  for (let i = 0; i < weights.length; i++) {
    const w = weights[i] as number;
    if (!(w >= 0 && w <= 1)) throw new TokenTableError(`token ${i} has weight ${w}`);
  }
  const vocab = parseVocab(metadata.vocab, tokens);
  const rows = new LazyRows(halves, tokens, dims);
  return {
    tokens,
    dims,
    halves,
    get rows() {
      return rows.all();
    },
    row: (id) => rows.row(id),
    weights,
    vocab,
  };
}

/**
 * Rows decoded from binary16 when first read, each on its own, with the same conversion as
 * decoding them all at once (fromF16), so the same bits. Decoding all 4 million values (into
 * 16 MB) was most of the table's load time, and a query uses a few dozen rows.
 */
class LazyRows {
  private readonly decoded: (Float32Array | undefined)[];
  private whole: Float32Array | undefined;

  constructor(
    private readonly halves: Uint16Array,
    tokens: number,
    private readonly dims: number,
  ) {
    this.decoded = new Array<Float32Array | undefined>(tokens).fill(undefined);
  }

  row(id: number): Float32Array {
    let row = this.decoded[id];
    if (row === undefined) {
      const start = id * this.dims;
      row = this.whole?.subarray(start, start + this.dims) ?? fromF16(this.halves.subarray(start, start + this.dims));
      this.decoded[id] = row;
    }
    return row;
  }

  all(): Float32Array {
    this.whole ??= fromF16(this.halves);
    return this.whole;
  }
}

/**
 * The float32 value of every binary16 bit pattern, by the same conversion as fromF16: sums over
 * all rows (the mean row) read this table instead of decoding 4 million values first.
 */
export function f16Values(): Float32Array {
  f16Table ??= fromF16(Uint16Array.from({ length: 0x10000 }, (_, h) => h));
  return f16Table;
}
let f16Table: Float32Array | undefined;

export function loadTokenTable(url: URL, expected: { tokens: number; dims: number }): TokenTable {
  let bytes: Uint8Array;
  try {
    bytes = readFileSync(fileURLToPath(url));
  } catch (err) {
    throw new TokenTableError(`cannot read ${fileURLToPath(url)}: ${(err as Error).message}`, { cause: err });
  }
  return decodeTokenTable(bytes, expected);
}
