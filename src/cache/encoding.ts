/**
 * How a block of vectors becomes the `embeddings` tensor, per `cache.encoding`:
 *
 * - `f32` (default): dtype F32, shape [chunks, dims]. Lossless, readable as-is by
 *   any safetensors reader.
 * - `f32-shuffle`: the same float32 bit patterns, byte-plane-transposed: all
 *   byte 0s (least significant, little-endian order), then all byte 1s, 2s, 3s.
 *   Stored as dtype U8, shape [4, chunks * dims]; row p is byte plane p. Lossless.
 *   Sign and exponent bytes of unit vectors are nearly constant, and grouping
 *   them lets zstd see that (~14% smaller than raw bytes against ~7.5% for f32).
 * - `f16`: IEEE 754 binary16, round-to-nearest-even, shape [chunks, dims].
 *   LOSSY: relative error up to 2^-11 per component (cosine to the original
 *   above 0.9999 for embedding vectors); about 2.4x smaller files.
 *
 * Vectors are handled as one flat, row-major Float32Array of chunks * dims.
 * Pure code: no I/O.
 */
import type { CacheEncoding } from './types.js';
import { CacheFormatError } from './errors.js';
import type { DType, Tensor } from './safetensors.js';
import { float32ToLeBytes, IS_LITTLE_ENDIAN, leBytesToFloat32, leBytesToUint16, uint16ToLeBytes } from './safetensors.js';

/** dtype a tensor of each encoding must have. */
export const ENCODING_DTYPE: Readonly<Record<CacheEncoding, DType>> = { f32: 'F32', 'f32-shuffle': 'U8', f16: 'F16' };

export function tensorShape(encoding: CacheEncoding, chunks: number, dims: number): number[] {
  return encoding === 'f32-shuffle' ? [4, chunks * dims] : [chunks, dims];
}

// Scratch views for reading a float's bits one value at a time.
const bitsF32 = new Float32Array(1);
const bitsU32 = new Uint32Array(bitsF32.buffer);

/**
 * float32 → binary16 bits, round-to-nearest-even, with subnormals, overflow to
 * infinity, and NaN kept quiet. After F. Giesen's `float_to_half_fast3_rtne`,
 * except subnormals are rounded in double arithmetic (exact, since x·2^24 fits)
 * because JS adds in float64 and the magic-number trick would round twice.
 */
export function f32ToF16Bits(value: number): number {
  bitsF32[0] = value;
  return halfFromBits(bitsU32[0] ?? 0);
}

/** `f32ToF16Bits` on a float32 bit pattern (batch callers read bits from a typed-array view). */
function halfFromBits(bits: number): number {
  const sign = (bits >>> 16) & 0x8000;
  const x = bits & 0x7fffffff;
  if (x >= 0x47800000) {
    // |value| >= 65536, inf or NaN: NaN stays NaN (quiet, top mantissa bits kept), the rest is infinity.
    return sign | (x > 0x7f800000 ? 0x7e00 | ((x >>> 13) & 0x3ff) : 0x7c00);
  }
  if (x < 0x38800000) {
    // Below the smallest normal half (2^-14): count units of 2^-24, ties to even; 1024 carries into the exponent.
    // |value| * 2^24 = significand * 2^(exponent - 126), exact in double arithmetic.
    const exponent = x >>> 23;
    const units = exponent === 0 ? (x & 0x7fffff) * 2 ** -125 : ((x & 0x7fffff) | 0x800000) * 2 ** (exponent - 126);
    const floor = Math.floor(units);
    const rest = units - floor;
    const rounded = rest > 0.5 || (rest === 0.5 && floor % 2 === 1) ? floor + 1 : floor;
    return sign | rounded;
  }
  // Normal: rebias the exponent (-112 << 23), add the rounding bias 0xfff plus the
  // lowest kept mantissa bit (ties to even), then drop 13 mantissa bits. A carry
  // may roll into the exponent, up to infinity (0x7c00) for values >= 65520.
  const odd = (x >>> 13) & 1;
  return sign | (((x + 0xc8000fff + odd) >>> 0) >>> 13);
}

/** binary16 bits → float32 value (exact). */
export function f16BitsToF32(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exponent = (h >>> 10) & 0x1f;
  const mantissa = h & 0x3ff;
  if (exponent === 0) return sign * mantissa * 2 ** -24;
  if (exponent === 0x1f) return mantissa === 0 ? sign * Infinity : NaN;
  return sign * (1 + mantissa / 1024) * 2 ** (exponent - 15);
}

// A Float32Array is always 4-byte aligned, so its bits can be viewed in place.
function floatBits(values: Float32Array): Uint32Array {
  return new Uint32Array(values.buffer, values.byteOffset, values.length);
}

/**
 * 4x4 byte transpose of four little-endian words: output word p holds byte p of
 * a, b, c, d in that order. Its own inverse, and it moves four values per step
 * instead of one byte, which is what makes the shuffle cheap.
 */
function transposeInto(out: Uint32Array, at: number, stride: number, a: number, b: number, c: number, d: number): void {
  out[at] = (a & 0xff) | ((b & 0xff) << 8) | ((c & 0xff) << 16) | (d << 24);
  out[at + stride] = ((a >>> 8) & 0xff) | (b & 0xff00) | ((c & 0xff00) << 8) | ((d & 0xff00) << 16);
  out[at + 2 * stride] = ((a >>> 16) & 0xff) | ((b >>> 8) & 0xff00) | (c & 0xff0000) | ((d & 0xff0000) << 8);
  out[at + 3 * stride] = (a >>> 24) | ((b >>> 16) & 0xff00) | ((c >>> 8) & 0xff0000) | (d & 0xff000000);
}

/** Word-at-a-time planes need a little-endian host, whole words per plane and aligned data. */
function canTransposeWords(n: number, byteOffset: number): boolean {
  return IS_LITTLE_ENDIAN && n % 4 === 0 && byteOffset % 4 === 0;
}

/** Byte planes of float32 bit patterns: plane p holds byte p (little-endian significance) of every value. */
export function shuffleF32(values: Float32Array): Uint8Array {
  const n = values.length;
  const bits = floatBits(values);
  const out = new Uint8Array(n * 4);
  if (canTransposeWords(n, 0)) {
    const words = new Uint32Array(out.buffer);
    const q = n / 4;
    for (let j = 0; j < q; j++) transposeInto(words, j, q, bits[4 * j]!, bits[4 * j + 1]!, bits[4 * j + 2]!, bits[4 * j + 3]!);
    return out;
  }
  for (let i = 0; i < n; i++) {
    const v = bits[i]!;
    out[i] = v;
    out[n + i] = v >>> 8;
    out[2 * n + i] = v >>> 16;
    out[3 * n + i] = v >>> 24;
  }
  return out;
}

/** Inverse of `shuffleF32`. */
export function unshuffleF32(planes: Uint8Array): Float32Array {
  if (planes.byteLength % 4 !== 0) throw new CacheFormatError(`f32-shuffle data of ${planes.byteLength} bytes is not 4 planes`);
  const n = planes.byteLength / 4;
  const out = new Float32Array(n);
  const bits = new Uint32Array(out.buffer);
  if (canTransposeWords(n, planes.byteOffset)) {
    const words = new Uint32Array(planes.buffer, planes.byteOffset, n);
    const q = n / 4;
    for (let j = 0; j < q; j++) transposeInto(bits, 4 * j, 1, words[j]!, words[q + j]!, words[2 * q + j]!, words[3 * q + j]!);
    return out;
  }
  for (let i = 0; i < n; i++) bits[i] = planes[i]! | (planes[n + i]! << 8) | (planes[2 * n + i]! << 16) | (planes[3 * n + i]! << 24);
  return out;
}

/**
 * float32 values → binary16 bit patterns. Throws RangeError if a value is not
 * representable (beyond ±65504 after rounding, or not finite): a stored infinity
 * would make every reader reject the file.
 */
export function toF16(values: Float32Array): Uint16Array {
  const bits = floatBits(values);
  const out = new Uint16Array(values.length);
  // Bit 15 of (exponent bits + 0x400) is set only for an all-ones exponent (inf/NaN): checked without a branch.
  let special = 0;
  for (let i = 0; i < values.length; i++) {
    const h = halfFromBits(bits[i]!);
    out[i] = h;
    special |= (h & 0x7c00) + 0x400;
  }
  if (special & 0x8000) {
    const at = out.findIndex((h) => (h & 0x7c00) === 0x7c00);
    throw new RangeError(`value ${values[at]} at index ${at} is outside the f16 range`);
  }
  return out;
}

export function fromF16(halves: Uint16Array): Float32Array {
  const out = new Float32Array(halves.length);
  const bits = new Uint32Array(out.buffer);
  for (let i = 0; i < halves.length; i++) {
    const h = halves[i]!;
    const exponent = h & 0x7c00;
    if (exponent !== 0 && exponent !== 0x7c00) {
      // Normal halves, nearly all of an embedding: move the sign, rebias the exponent by 127 - 15 = 112.
      bits[i] = ((h & 0x8000) << 16) | (((h & 0x7fff) << 13) + 0x38000000);
    } else {
      // Zero, subnormals, infinities and NaN: rare, so the general conversion.
      out[i] = f16BitsToF32(h);
    }
  }
  return out;
}

/** Flat row-major vectors → the `embeddings` tensor in the given encoding. */
export function encodeVectors(values: Float32Array, chunks: number, dims: number, encoding: CacheEncoding): Tensor {
  if (values.length !== chunks * dims) throw new RangeError(`${values.length} values do not make ${chunks} x ${dims}`);
  const shape = tensorShape(encoding, chunks, dims);
  switch (encoding) {
    case 'f32':
      return { dtype: 'F32', shape, data: float32ToLeBytes(values) };
    case 'f32-shuffle':
      return { dtype: 'U8', shape, data: shuffleF32(values) };
    case 'f16':
      return { dtype: 'F16', shape, data: uint16ToLeBytes(toF16(values)) };
  }
}

function sameShape(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((v, i) => v === b[i]);
}

/**
 * The `embeddings` tensor → flat row-major float32 values, after checking its
 * dtype and shape against the encoding and the expected chunks × dims. F32 data
 * is returned as a view when aligned.
 */
export function decodeVectors(tensor: Tensor, encoding: CacheEncoding, chunks: number, dims: number): Float32Array {
  const expectedShape = tensorShape(encoding, chunks, dims);
  if (tensor.dtype !== ENCODING_DTYPE[encoding] || !sameShape(tensor.shape, expectedShape)) {
    throw new CacheFormatError(
      `tensor is ${tensor.dtype} [${tensor.shape.join(',')}], encoding ${encoding} needs ${ENCODING_DTYPE[encoding]} [${expectedShape.join(',')}]`,
    );
  }
  switch (encoding) {
    case 'f32':
      return leBytesToFloat32(tensor.data);
    case 'f32-shuffle':
      return unshuffleF32(tensor.data);
    case 'f16':
      return fromF16(leBytesToUint16(tensor.data));
  }
}
