/**
 * One cache file's bytes ⇄ one blob's embeddings (format `gitctx-embeddings/1`,
 * shared/spec/cache-format.md): a safetensors file with one tensor `embeddings`
 * and string metadata, in one zstd frame.
 *
 * Reading separates three outcomes: a hit; a `stale` file (valid, but made by
 * another chunker — a normal miss, nothing to warn about); and a
 * CacheFormatError for anything corrupt or hostile (the caller warns).
 *
 * Pure code: no I/O.
 */
import type { CacheEncoding, Embedding } from './types.js';
import { CACHE_ENCODINGS } from './types.js';
import { CacheFormatError, InvalidEmbeddingsError } from './errors.js';
import type { Tensor } from './safetensors.js';
import { decodeSafetensors, DEFAULT_MAX_HEADER_BYTES, encodeSafetensors, encodeSafetensorsHeader, float32ToLeBytes } from './safetensors.js';
import { decodeVectors, encodeVectors, ENCODING_DTYPE, tensorShape } from './encoding.js';
import { DEFAULT_LEVEL, MAX_DECOMPRESSED_BYTES, zstdCompress, zstdCompressParts, zstdDecompress } from './zstd.js';
import { assertBlobSha } from './paths.js';

export const CACHE_FORMAT = 'gitctx-embeddings/1';
export const TENSOR_NAME = 'embeddings';

/** What a cache file must have been made for; anything else is not a hit. */
export interface CacheKey {
  blobSha: string;
  model: string;
  dims: number;
  /** Signature of the chunker and its parameters. */
  chunker: string;
}

export interface EncodeOptions {
  encoding?: CacheEncoding;
  level?: number;
  /** Tokens spent embedding this blob; defaults to the sum of the chunks' tokens. */
  tokens?: number;
  /** What embedding this blob cost, in US dollars; defaults to 0. */
  costUsd?: number;
  maxBytes?: number;
}

export interface CacheEntry {
  embeddings: Embedding[];
  encoding: CacheEncoding;
  tokens: number;
  costUsd: number;
}

export type CacheReadResult = { status: 'hit'; entry: CacheEntry } | { status: 'stale'; reason: string };

/** Line numbers and per-chunk token counts above this are not plausible source. */
const MAX_COUNT = 2 ** 31 - 1;
const MAX_CHUNK_HASH_LENGTH = 256;
/** Model dimensions above this are not plausible (also the settings schema's bound). */
export const MAX_DIMS = 65_536;

/**
 * Most bytes one span adds to the header: `[start,end,tokens,\"hash\"],` with 10-digit
 * numbers and the chunker's 32-digit hash, its quotes escaped again inside the metadata string.
 */
const SPAN_HEADER_BYTES = 72;
/** Room for the header's other fields (format, blob id, model and chunker names) and padding. */
const FIXED_HEADER_BYTES = 64 * 1024;

/**
 * Most chunks one blob may have and still get a cache file at `dims`: its F32
 * vectors and its spans within `maxBytes`, its header within what readers accept.
 * The indexer skips a blob over this as `too-large` before paying for its vectors.
 */
export function maxChunksPerFile(dims: number, maxBytes: number = MAX_DECOMPRESSED_BYTES): number {
  const byFile = Math.floor((maxBytes - FIXED_HEADER_BYTES) / (dims * 4 + SPAN_HEADER_BYTES));
  const byHeader = Math.floor((DEFAULT_MAX_HEADER_BYTES - FIXED_HEADER_BYTES) / SPAN_HEADER_BYTES);
  return Math.max(0, Math.min(byFile, byHeader));
}

function isCount(value: unknown, min = 0): value is number {
  return typeof value === 'number' && Number.isInteger(value) && value >= min && value <= MAX_COUNT;
}

/**
 * Dollars as a fixed-point decimal string. toFixed is exactly specified by
 * ECMAScript, so every machine prints the same digits; 12 places keep
 * sub-micro-dollar costs and hide float noise from how requests were batched.
 */
export function formatCost(costUsd: number): string {
  const fixed = costUsd.toFixed(12);
  return fixed.includes('.') ? fixed.replace(/\.?0+$/, '') : fixed;
}

/**
 * Index of the first NaN or ±Infinity, or -1. The common all-finite case is one
 * branch-free pass: x * 0 is 0 for finite x and NaN otherwise, and NaN sticks.
 */
export function firstNonFinite(values: Float32Array): number {
  let acc = 0;
  for (let i = 0; i < values.length; i++) acc += values[i]! * 0;
  if (acc === 0) return -1;
  return values.findIndex((v) => !Number.isFinite(v));
}

function validateKey(key: CacheKey): void {
  assertBlobSha(key.blobSha);
  if (typeof key.model !== 'string' || key.model.length === 0) throw new InvalidEmbeddingsError('cache key needs a model name');
  if (!isCount(key.dims, 1) || key.dims > MAX_DIMS) throw new InvalidEmbeddingsError(`dims ${String(key.dims)} is not an integer in 1..${MAX_DIMS}`);
  if (typeof key.chunker !== 'string') throw new InvalidEmbeddingsError('chunker signature must be a string');
}

/** Validates caller input: `set()` refuses to write anything `get()` would reject. */
function validateEmbeddings(embeddings: readonly Embedding[], dims: number): { spans: string; tokens: number } {
  if (!Array.isArray(embeddings)) throw new InvalidEmbeddingsError('embeddings must be an array');
  const spans: Array<[number, number, number, string]> = [];
  let tokens = 0;
  embeddings.forEach((e, i) => {
    const where = `embedding ${i}`;
    if (!(e.vector instanceof Float32Array)) throw new InvalidEmbeddingsError(`${where}: vector is not a Float32Array`);
    if (e.vector.length !== dims) throw new InvalidEmbeddingsError(`${where}: ${e.vector.length} dimensions, the model has ${dims}`);
    const bad = firstNonFinite(e.vector);
    if (bad >= 0) throw new InvalidEmbeddingsError(`${where}: component ${bad} is ${e.vector[bad]}`);
    if (!isCount(e.startLine, 1) || !isCount(e.endLine, e.startLine)) {
      throw new InvalidEmbeddingsError(`${where}: lines ${e.startLine}..${e.endLine} are not a 1-based inclusive span`);
    }
    if (!isCount(e.tokens)) throw new InvalidEmbeddingsError(`${where}: tokens ${e.tokens} is not a non-negative integer`);
    const hash = e.chunkHash ?? '';
    if (typeof hash !== 'string' || hash.length > MAX_CHUNK_HASH_LENGTH) {
      throw new InvalidEmbeddingsError(`${where}: chunkHash must be a string of at most ${MAX_CHUNK_HASH_LENGTH} characters`);
    }
    spans.push([e.startLine, e.endLine, e.tokens, hash]);
    tokens += e.tokens;
  });
  return { spans: JSON.stringify(spans), tokens };
}

/** All vectors as one flat row-major array, for the encodings that transform them. */
function flatten(embeddings: readonly Embedding[], dims: number): Float32Array {
  const values = new Float32Array(embeddings.length * dims);
  embeddings.forEach((e, i) => values.set(e.vector, i * dims));
  return values;
}

/** Encodes one blob's embeddings as the bytes of its cache file. Same input, same bytes. */
export function encodeCacheFile(key: CacheKey, embeddings: readonly Embedding[], options: EncodeOptions = {}): Uint8Array {
  validateKey(key);
  const encoding = options.encoding ?? 'f32';
  if (!CACHE_ENCODINGS.includes(encoding)) throw new InvalidEmbeddingsError(`unknown cache encoding ${String(encoding)}`);
  const maxBytes = options.maxBytes ?? MAX_DECOMPRESSED_BYTES;
  if (embeddings.length * key.dims * 4 > maxBytes) {
    throw new InvalidEmbeddingsError(`${embeddings.length} x ${key.dims} vectors exceed the ${maxBytes}-byte cache file limit`);
  }
  const { spans, tokens: chunkTokens } = validateEmbeddings(embeddings, key.dims);
  // Readers refuse a larger header, so writing one would only store a file nobody can read.
  if (spans.length > DEFAULT_MAX_HEADER_BYTES - FIXED_HEADER_BYTES) {
    throw new InvalidEmbeddingsError(`${embeddings.length} spans exceed the ${DEFAULT_MAX_HEADER_BYTES}-byte cache header limit`);
  }
  const tokens = options.tokens ?? chunkTokens;
  if (!Number.isSafeInteger(tokens) || tokens < 0) throw new InvalidEmbeddingsError(`tokens ${tokens} is not a non-negative integer`);
  const costUsd = options.costUsd ?? 0;
  if (!Number.isFinite(costUsd) || costUsd < 0 || costUsd > 1e9) throw new InvalidEmbeddingsError(`cost ${costUsd} is not a plausible dollar amount`);

  const metadata: Record<string, string> = {
    format: CACHE_FORMAT,
    blob_sha: key.blobSha,
    model: key.model,
    dims: String(key.dims),
    chunks: String(embeddings.length),
    chunker: key.chunker,
    encoding,
    spans,
    tokens: String(tokens),
    cost_usd: formatCost(costUsd),
  };
  const level = options.level ?? DEFAULT_LEVEL;
  if (encoding === 'f32') {
    // The plain layout is the vectors' own bytes: they stream to zstd as they are,
    // so the file costs its compressed size in memory, not two more copies of the vectors.
    const layout = { dtype: ENCODING_DTYPE.f32, shape: tensorShape('f32', embeddings.length, key.dims), byteLength: embeddings.length * key.dims * 4 };
    const header = encodeSafetensorsHeader([[TENSOR_NAME, layout]], metadata);
    if (header.byteLength + layout.byteLength > maxBytes) {
      throw new InvalidEmbeddingsError(`cache file of ${header.byteLength + layout.byteLength} bytes exceeds the ${maxBytes}-byte limit`);
    }
    return zstdCompressParts([header, ...embeddings.map((e) => float32ToLeBytes(e.vector))], level, new Set([0]));
  }
  let tensor: Tensor;
  try {
    tensor = encodeVectors(flatten(embeddings, key.dims), embeddings.length, key.dims, encoding);
  } catch (err) {
    // Only f16 can refuse finite input: values beyond its range.
    if (err instanceof RangeError) throw new InvalidEmbeddingsError(`${err.message}; use the f32 encoding`);
    throw err;
  }
  const raw = encodeSafetensors({ [TENSOR_NAME]: tensor }, metadata);
  if (raw.byteLength > maxBytes) throw new InvalidEmbeddingsError(`cache file of ${raw.byteLength} bytes exceeds the ${maxBytes}-byte limit`);
  return zstdCompress(raw, level, blockBoundaries(raw.byteLength - tensor.data.byteLength, tensor));
}

/** Where the statistics of the file's bytes change: after the JSON header, and between byte planes. */
function blockBoundaries(dataStart: number, tensor: Tensor): number[] {
  const cuts = [dataStart];
  if (tensor.dtype === 'U8' && tensor.shape.length === 2) {
    const plane = tensor.shape[1] ?? 0;
    for (let p = 1; p < (tensor.shape[0] ?? 0); p++) cuts.push(dataStart + p * plane);
  }
  return cuts;
}

function field(metadata: Record<string, string>, name: string): string {
  const value = metadata[name];
  if (value === undefined) throw new CacheFormatError(`metadata has no ${name}`);
  return value;
}

function parseCount(metadata: Record<string, string>, name: string): number {
  const text = field(metadata, name);
  const value = /^(?:0|[1-9][0-9]{0,14})$/.test(text) ? Number(text) : Number.NaN;
  if (!Number.isSafeInteger(value)) throw new CacheFormatError(`metadata ${name} ${JSON.stringify(text.slice(0, 40))} is not a count`);
  return value;
}

function parseCost(metadata: Record<string, string>): number {
  const text = field(metadata, 'cost_usd');
  const value = /^[0-9]{1,20}(?:\.[0-9]{1,20})?(?:[eE][-+]?[0-9]{1,3})?$/.test(text) ? Number(text) : Number.NaN;
  if (!Number.isFinite(value)) throw new CacheFormatError(`metadata cost_usd ${JSON.stringify(text.slice(0, 40))} is not a dollar amount`);
  return value;
}

function parseEncoding(metadata: Record<string, string>): CacheEncoding {
  const text = field(metadata, 'encoding');
  const encoding = CACHE_ENCODINGS.find((e) => e === text);
  if (encoding === undefined) throw new CacheFormatError(`unsupported encoding ${JSON.stringify(text.slice(0, 40))}`);
  return encoding;
}

type Span = [startLine: number, endLine: number, tokens: number, chunkHash: string];

function parseSpans(metadata: Record<string, string>, chunks: number): Span[] {
  let spans: unknown;
  try {
    spans = JSON.parse(field(metadata, 'spans'));
  } catch (err) {
    if (err instanceof SyntaxError) throw new CacheFormatError('metadata spans is not JSON', { cause: err });
    throw err;
  }
  if (!Array.isArray(spans)) throw new CacheFormatError('metadata spans is not an array');
  if (spans.length !== chunks) throw new CacheFormatError(`metadata has ${spans.length} spans for ${chunks} chunks`);
  spans.forEach((span: unknown, i) => {
    const ok =
      Array.isArray(span) &&
      span.length === 4 &&
      isCount(span[0], 1) &&
      isCount(span[1], span[0] as number) &&
      isCount(span[2]) &&
      typeof span[3] === 'string' &&
      span[3].length <= MAX_CHUNK_HASH_LENGTH;
    if (!ok) throw new CacheFormatError(`span ${i} is not [start_line, end_line, tokens, chunk_hash]`);
  });
  return spans as Span[];
}

function describe(text: string): string {
  return JSON.stringify(text.length > 80 ? `${text.slice(0, 80)}…` : text);
}

/**
 * Decodes and checks one cache file against the key it was looked up by.
 * Throws CacheFormatError for corrupt or hostile bytes; returns `stale` when the
 * file is sound but was made by a different chunker.
 */
export function decodeCacheFile(compressed: Uint8Array, key: CacheKey, options: { maxBytes?: number } = {}): CacheReadResult {
  const raw = zstdDecompress(compressed, options.maxBytes ?? MAX_DECOMPRESSED_BYTES);
  const { metadata, tensors } = decodeSafetensors(raw);

  const format = field(metadata, 'format');
  if (format !== CACHE_FORMAT) throw new CacheFormatError(`unsupported format ${describe(format)}, expected ${CACHE_FORMAT}`);
  const blobSha = field(metadata, 'blob_sha');
  if (blobSha !== key.blobSha) throw new CacheFormatError(`file is for blob ${describe(blobSha)}, not ${key.blobSha}`);
  const model = field(metadata, 'model');
  if (model !== key.model) throw new CacheFormatError(`file is for model ${describe(model)}, not ${describe(key.model)}`);
  const dims = parseCount(metadata, 'dims');
  if (dims !== key.dims) throw new CacheFormatError(`file has ${dims} dimensions, model ${describe(key.model)} has ${key.dims}`);
  const encoding = parseEncoding(metadata);
  const chunks = parseCount(metadata, 'chunks');
  const tokens = parseCount(metadata, 'tokens');
  const costUsd = parseCost(metadata);

  // Checked after identity and before content: a file from another chunker is sound
  // but useless, and is a normal miss that re-chunking will overwrite.
  const chunker = field(metadata, 'chunker');
  if (chunker !== key.chunker) return { status: 'stale', reason: `made by chunker ${describe(chunker)}, not ${describe(key.chunker)}` };

  const spans = parseSpans(metadata, chunks);
  const tensor = tensors.get(TENSOR_NAME);
  if (tensor === undefined || tensors.size !== 1) {
    throw new CacheFormatError(`expected exactly one tensor "${TENSOR_NAME}", found ${[...tensors.keys()].map(describe).join(', ') || 'none'}`);
  }
  const values = decodeVectors(tensor, encoding, chunks, dims);
  const bad = firstNonFinite(values);
  if (bad >= 0) throw new CacheFormatError(`value ${values[bad]} at chunk ${Math.floor(bad / dims)}, dimension ${bad % dims}`);
  const embeddings = spans.map(([startLine, endLine, chunkTokens, chunkHash], i): Embedding => {
    const embedding: Embedding = { vector: values.subarray(i * dims, (i + 1) * dims), startLine, endLine, tokens: chunkTokens };
    if (chunkHash !== '') embedding.chunkHash = chunkHash;
    return embedding;
  });
  return { status: 'hit', entry: { embeddings, encoding, tokens, costUsd } };
}
