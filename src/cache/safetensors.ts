/**
 * safetensors encoder and decoder (https://github.com/huggingface/safetensors).
 *
 * Hand-written because no maintained npm library covers it: the published
 * JavaScript packages are either unmaintained, read-only, pull in a tensor
 * runtime, or do not validate untrusted input. The format is small enough that a
 * strict, dependency-free implementation is the safer choice for files that
 * arrive through `git pull`.
 *
 * Layout: u64 little-endian header length N, N bytes of UTF-8 JSON, then the data
 * buffer. The JSON maps tensor names to `{dtype, shape, data_offsets}` (offsets
 * relative to the data buffer) plus an optional `__metadata__` string→string map.
 *
 * What this writer guarantees beyond the format, so output is byte-deterministic:
 * keys sorted by UTF-16 code unit at every level, no insignificant whitespace,
 * tensors laid out in sorted name order, header padded with spaces so the data
 * starts 8-byte aligned (8 + N is a multiple of 8).
 *
 * Pure code: no I/O.
 */
import { CacheFormatError } from './errors.js';

export type DType = 'F32' | 'F16' | 'U8';

const DTYPE_SIZE: Readonly<Record<DType, number>> = { F32: 4, F16: 2, U8: 1 };

/** A tensor as raw little-endian, row-major bytes. */
export interface Tensor {
  dtype: DType;
  shape: readonly number[];
  data: Uint8Array;
}

export interface Safetensors {
  /** Null-prototype object: keys from untrusted JSON (`__proto__`) stay plain keys. */
  metadata: Record<string, string>;
  tensors: Map<string, Tensor>;
}

export interface DecodeLimits {
  /** Largest accepted JSON header, in bytes. */
  maxHeaderBytes?: number;
  /** Largest accepted tensor rank. */
  maxRank?: number;
}

/**
 * Headers hold the per-chunk spans, so they grow with the chunk count (about 60
 * bytes a chunk); 16 MiB is room for ~250k chunks while a hostile length field
 * cannot make us decode or allocate more than that.
 */
export const DEFAULT_MAX_HEADER_BYTES = 16 * 1024 * 1024;
const DEFAULT_MAX_RANK = 8;
const METADATA_KEY = '__metadata__';

export const IS_LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

export function dtypeSize(dtype: DType): number {
  return DTYPE_SIZE[dtype];
}

export function isDType(value: unknown): value is DType {
  return typeof value === 'string' && Object.hasOwn(DTYPE_SIZE, value);
}

function byCodeUnit(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Element count of a shape, or undefined if any dimension is not a non-negative safe integer. */
function elementCount(shape: readonly unknown[], limit: number): number | undefined {
  for (const dim of shape) {
    if (typeof dim !== 'number' || !Number.isSafeInteger(dim) || dim < 0) return undefined;
  }
  if ((shape as number[]).includes(0)) return 0;
  let count = 1;
  for (const dim of shape as number[]) {
    count *= dim;
    // Checked per step so a hostile shape cannot grow past exact float range and round back into it.
    if (count > limit) return Number.POSITIVE_INFINITY;
  }
  return count;
}

// JSON object built by hand: JS objects put integer-like keys ("0", "12") first
// whatever the insertion order, so JSON.stringify cannot promise sorted keys.
function sortedObjectJson(entries: ReadonlyArray<readonly [string, string]>): string {
  const sorted = [...entries].sort(([a], [b]) => byCodeUnit(a, b));
  return `{${sorted.map(([k, v]) => `${JSON.stringify(k)}:${v}`).join(',')}}`;
}

/** What the header says of one tensor: everything but its bytes. */
export interface TensorLayout {
  dtype: DType;
  shape: readonly number[];
  byteLength: number;
}

/**
 * The bytes of a safetensors file before its data: the length field, the JSON
 * header and its padding. Tensors' data follows in name order. The same input
 * always gives the same bytes.
 */
export function encodeSafetensorsHeader(
  tensors: ReadonlyArray<readonly [string, TensorLayout]>,
  metadata: Readonly<Record<string, string>> = {},
): Uint8Array {
  const entries = [...tensors].sort(([a], [b]) => byCodeUnit(a, b));
  const headerEntries: Array<[string, string]> = [];
  const metaEntries = Object.entries(metadata);
  for (const [key, value] of metaEntries) {
    if (typeof value !== 'string') throw new TypeError(`safetensors metadata ${JSON.stringify(key)} must be a string`);
  }
  if (metaEntries.length > 0) {
    headerEntries.push([METADATA_KEY, sortedObjectJson(metaEntries.map(([k, v]) => [k, JSON.stringify(v)]))]);
  }

  let offset = 0;
  for (const [name, tensor] of entries) {
    if (name === METADATA_KEY) throw new TypeError(`tensor name ${METADATA_KEY} is reserved`);
    if (!isDType(tensor.dtype)) throw new TypeError(`unsupported dtype ${String(tensor.dtype)}`);
    const count = elementCount(tensor.shape, Number.MAX_SAFE_INTEGER);
    if (count === undefined || count * DTYPE_SIZE[tensor.dtype] !== tensor.byteLength) {
      throw new RangeError(
        `tensor ${JSON.stringify(name)}: shape [${tensor.shape.join(',')}] of ${tensor.dtype} does not match ${tensor.byteLength} bytes`,
      );
    }
    const end = offset + tensor.byteLength;
    const info = sortedObjectJson([
      ['data_offsets', `[${offset},${end}]`],
      ['dtype', JSON.stringify(tensor.dtype)],
      ['shape', `[${tensor.shape.join(',')}]`],
    ]);
    headerEntries.push([name, info]);
    offset = end;
  }

  const json = new TextEncoder().encode(sortedObjectJson(headerEntries));
  const headerLength = Math.ceil((8 + json.byteLength) / 8) * 8 - 8;
  const out = new Uint8Array(8 + headerLength);
  new DataView(out.buffer).setBigUint64(0, BigInt(headerLength), true);
  out.set(json, 8);
  out.fill(0x20, 8 + json.byteLength, 8 + headerLength);
  return out;
}

/**
 * Encodes tensors and string metadata as one safetensors file. The same input
 * always gives the same bytes.
 */
export function encodeSafetensors(
  tensors: Readonly<Record<string, Tensor>> | ReadonlyMap<string, Tensor>,
  metadata: Readonly<Record<string, string>> = {},
): Uint8Array {
  const entries: Array<[string, Tensor]> =
    tensors instanceof Map ? [...(tensors as ReadonlyMap<string, Tensor>).entries()] : Object.entries(tensors as Readonly<Record<string, Tensor>>);
  entries.sort(([a], [b]) => byCodeUnit(a, b));
  const header = encodeSafetensorsHeader(
    entries.map(([name, t]) => [name, { dtype: t.dtype, shape: t.shape, byteLength: t.data.byteLength }] as const),
    metadata,
  );
  const out = new Uint8Array(header.byteLength + entries.reduce((n, [, t]) => n + t.data.byteLength, 0));
  out.set(header, 0);
  let at = header.byteLength;
  for (const [, tensor] of entries) {
    out.set(tensor.data, at);
    at += tensor.data.byteLength;
  }
  return out;
}

/**
 * Reads the header length field and checks it against the limits, without
 * needing the rest of the file. Returns N (the JSON length); the data starts at 8 + N.
 */
export function readHeaderLength(bytes: Uint8Array, maxHeaderBytes = DEFAULT_MAX_HEADER_BYTES): number {
  if (bytes.byteLength < 8) throw new CacheFormatError(`safetensors: ${bytes.byteLength} bytes is shorter than the 8-byte header length`);
  const n = new DataView(bytes.buffer, bytes.byteOffset, 8).getBigUint64(0, true);
  if (n > BigInt(maxHeaderBytes)) throw new CacheFormatError(`safetensors: header length ${n} exceeds the ${maxHeaderBytes}-byte limit`);
  if (n < 2n) throw new CacheFormatError(`safetensors: header length ${n} is too short for a JSON object`);
  return Number(n);
}

const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

interface RawEntry {
  name: string;
  dtype: DType;
  shape: number[];
  begin: number;
  end: number;
}

function parseTensorEntry(name: string, value: unknown, dataLength: number, maxRank: number): RawEntry {
  const where = `safetensors: tensor ${JSON.stringify(name).slice(0, 80)}`;
  if (!isPlainObject(value)) throw new CacheFormatError(`${where} is not an object`);
  for (const key of Object.keys(value)) {
    if (key !== 'dtype' && key !== 'shape' && key !== 'data_offsets') {
      throw new CacheFormatError(`${where} has unknown field ${JSON.stringify(key).slice(0, 40)}`);
    }
  }
  const { dtype, shape, data_offsets: offsets } = value;
  if (!isDType(dtype)) throw new CacheFormatError(`${where} has unsupported dtype ${JSON.stringify(dtype ?? null).slice(0, 40)}`);
  if (!Array.isArray(shape) || shape.length > maxRank) throw new CacheFormatError(`${where} has an invalid shape`);
  const count = elementCount(shape, dataLength);
  if (count === undefined) throw new CacheFormatError(`${where} has a shape that is not non-negative integers`);
  if (!Array.isArray(offsets) || offsets.length !== 2) throw new CacheFormatError(`${where} has invalid data_offsets`);
  const [begin, end] = offsets as unknown[];
  if (typeof begin !== 'number' || typeof end !== 'number' || !Number.isSafeInteger(begin) || !Number.isSafeInteger(end)) {
    throw new CacheFormatError(`${where} has non-integer data_offsets`);
  }
  if (begin < 0 || end < begin || end > dataLength) {
    throw new CacheFormatError(`${where} data_offsets [${begin},${end}] are outside the ${dataLength}-byte data buffer`);
  }
  if (count * DTYPE_SIZE[dtype] !== end - begin) {
    throw new CacheFormatError(`${where} shape [${shape.join(',')}] of ${dtype} does not match its ${end - begin} bytes`);
  }
  return { name, dtype, shape: shape as number[], begin, end };
}

function parseMetadata(value: unknown): Record<string, string> {
  if (!isPlainObject(value)) throw new CacheFormatError('safetensors: __metadata__ is not an object');
  const metadata = Object.create(null) as Record<string, string>;
  for (const [key, v] of Object.entries(value)) {
    if (typeof v !== 'string') throw new CacheFormatError(`safetensors: __metadata__ value ${JSON.stringify(key).slice(0, 60)} is not a string`);
    metadata[key] = v;
  }
  return metadata;
}

/**
 * Parses and validates a complete header from `bytes` (which must hold at least
 * 8 + N bytes). `dataLength` is the size of the data buffer the offsets must
 * tile exactly.
 */
function parseHeader(
  bytes: Uint8Array,
  headerLength: number,
  dataLength: number,
  maxRank: number,
): { metadata: Record<string, string>; entries: RawEntry[] } {
  let parsed: unknown;
  try {
    parsed = JSON.parse(utf8.decode(bytes.subarray(8, 8 + headerLength)));
  } catch (err) {
    // Both invalid UTF-8 (TypeError) and invalid JSON (SyntaxError) mean the same thing here: not a header.
    throw new CacheFormatError(`safetensors: header is not valid UTF-8 JSON (${(err as Error).message.slice(0, 80)})`, { cause: err });
  }
  if (!isPlainObject(parsed)) {
    const kind = parsed === null ? 'null' : Array.isArray(parsed) ? 'an array' : `a ${typeof parsed}`;
    throw new CacheFormatError(`safetensors: header JSON is ${kind}, not an object`);
  }

  let metadata = Object.create(null) as Record<string, string>;
  const entries: RawEntry[] = [];
  for (const [name, value] of Object.entries(parsed)) {
    if (name === METADATA_KEY) metadata = parseMetadata(value);
    else entries.push(parseTensorEntry(name, value, dataLength, maxRank));
  }

  // Tiling check: sorted by offset, each tensor starts where the previous ended,
  // the first at 0 and the last at the end of the buffer. Empty tensors may share an offset.
  const ordered = [...entries].sort((a, b) => a.begin - b.begin || a.end - b.end);
  let expected = 0;
  for (const entry of ordered) {
    if (entry.begin !== expected) {
      const what = entry.begin < expected ? 'overlaps the previous tensor' : `leaves a gap at byte ${expected}`;
      throw new CacheFormatError(`safetensors: tensor ${JSON.stringify(entry.name).slice(0, 80)} ${what}`);
    }
    expected = entry.end;
  }
  if (expected !== dataLength) {
    throw new CacheFormatError(`safetensors: tensors cover ${expected} of ${dataLength} data bytes`);
  }
  return { metadata, entries };
}

/**
 * Decodes a safetensors file, validating everything a hostile file could get
 * wrong. Tensor data are views into `bytes` (no copy); see `tensorToFloat32`.
 */
export function decodeSafetensors(bytes: Uint8Array, limits: DecodeLimits = {}): Safetensors {
  const maxHeaderBytes = limits.maxHeaderBytes ?? DEFAULT_MAX_HEADER_BYTES;
  const headerLength = readHeaderLength(bytes, maxHeaderBytes);
  if (8 + headerLength > bytes.byteLength) {
    throw new CacheFormatError(`safetensors: header length ${headerLength} runs past the end of the ${bytes.byteLength}-byte file`);
  }
  const dataStart = 8 + headerLength;
  const { metadata, entries } = parseHeader(bytes, headerLength, bytes.byteLength - dataStart, limits.maxRank ?? DEFAULT_MAX_RANK);
  const tensors = new Map<string, Tensor>();
  for (const e of entries.sort((a, b) => byCodeUnit(a.name, b.name))) {
    tensors.set(e.name, { dtype: e.dtype, shape: e.shape, data: bytes.subarray(dataStart + e.begin, dataStart + e.end) });
  }
  return { metadata, tensors };
}

/**
 * Reads only the header (metadata and tensor descriptions) from the first bytes
 * of a file whose total length is `fileLength`. Returns undefined if `prefix`
 * does not yet hold the whole header, so a caller can decompress a little more.
 */
export function decodeSafetensorsHeader(
  prefix: Uint8Array,
  fileLength: number,
  limits: DecodeLimits = {},
): { metadata: Record<string, string>; tensors: Map<string, Omit<Tensor, 'data'>> } | undefined {
  if (prefix.byteLength < 8) return undefined;
  const headerLength = readHeaderLength(prefix, limits.maxHeaderBytes ?? DEFAULT_MAX_HEADER_BYTES);
  if (8 + headerLength > fileLength) {
    throw new CacheFormatError(`safetensors: header length ${headerLength} runs past the end of the ${fileLength}-byte file`);
  }
  if (prefix.byteLength < 8 + headerLength) return undefined;
  const { metadata, entries } = parseHeader(prefix, headerLength, fileLength - 8 - headerLength, limits.maxRank ?? DEFAULT_MAX_RANK);
  const tensors = new Map<string, Omit<Tensor, 'data'>>();
  for (const e of entries) tensors.set(e.name, { dtype: e.dtype, shape: e.shape });
  return { metadata, tensors };
}

/**
 * A copy in a fresh buffer. Not `data.slice()`: on a Node Buffer (what a library caller
 * reading a file passes) slice() is a view, and its `.buffer` starts at the wrong place.
 */
function copyBytes(data: Uint8Array): Uint8Array {
  return new Uint8Array(data);
}

/** Bytes of little-endian float32 as a Float32Array: a view when the host allows, else a copy. */
export function leBytesToFloat32(data: Uint8Array): Float32Array {
  if (data.byteLength % 4 !== 0) throw new CacheFormatError(`F32 data of ${data.byteLength} bytes is not a whole number of floats`);
  const count = data.byteLength / 4;
  if (IS_LITTLE_ENDIAN) {
    if (data.byteOffset % 4 === 0) return new Float32Array(data.buffer, data.byteOffset, count);
    return new Float32Array(copyBytes(data).buffer, 0, count);
  }
  const out = new Float32Array(count);
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  for (let i = 0; i < count; i++) out[i] = view.getFloat32(i * 4, true);
  return out;
}

/** Bytes of little-endian u16 (F16 bit patterns) as a Uint16Array: a view when the host allows, else a copy. */
export function leBytesToUint16(data: Uint8Array): Uint16Array {
  if (data.byteLength % 2 !== 0) throw new CacheFormatError(`F16 data of ${data.byteLength} bytes is not a whole number of halves`);
  const count = data.byteLength / 2;
  if (IS_LITTLE_ENDIAN) {
    if (data.byteOffset % 2 === 0) return new Uint16Array(data.buffer, data.byteOffset, count);
    return new Uint16Array(copyBytes(data).buffer, 0, count);
  }
  const out = new Uint16Array(count);
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  for (let i = 0; i < count; i++) out[i] = view.getUint16(i * 2, true);
  return out;
}

/** A Float32Array's values as little-endian bytes: a view on little-endian hosts, else a copy. */
export function float32ToLeBytes(values: Float32Array): Uint8Array {
  if (IS_LITTLE_ENDIAN) return new Uint8Array(values.buffer, values.byteOffset, values.byteLength);
  const out = new Uint8Array(values.byteLength);
  const view = new DataView(out.buffer);
  for (let i = 0; i < values.length; i++) view.setFloat32(i * 4, values[i] ?? 0, true);
  return out;
}

/** A Uint16Array's values as little-endian bytes: a view on little-endian hosts, else a copy. */
export function uint16ToLeBytes(values: Uint16Array): Uint8Array {
  if (IS_LITTLE_ENDIAN) return new Uint8Array(values.buffer, values.byteOffset, values.byteLength);
  const out = new Uint8Array(values.byteLength);
  const view = new DataView(out.buffer);
  for (let i = 0; i < values.length; i++) view.setUint16(i * 2, values[i] ?? 0, true);
  return out;
}
