/**
 * zstd framing for cache files, on zstd-napi's thin libzstd binding.
 *
 * Written frames always carry the content size (so readers can refuse a bomb
 * before allocating) and an XXH64 content checksum (so a flipped bit is a
 * detected error, not a silently wrong vector). Reading refuses anything else:
 * unknown content size, more than `maxBytes`, skippable or multiple frames,
 * trailing bytes, missing checksum.
 *
 * The binding is used instead of zstd-napi's high-level `decompress()` because
 * that one accepts concatenated frames and allocates whatever the header claims.
 *
 * Pure code: no I/O.
 */
import binding from 'zstd-napi/binding.js';
import type { CCtx, DCtx } from 'zstd-napi/binding.js';
import { CacheFormatError } from './errors.js';

export const DEFAULT_LEVEL = 3;

/**
 * Largest decompressed cache file we accept (and write): 256 MiB. A 1 MiB source
 * file yields a few thousand chunks at most, about 40 MB of 3072-dim F32; the
 * rest is headroom. The limit bounds what one hostile file can make us allocate.
 */
export const MAX_DECOMPRESSED_BYTES = 256 * 1024 * 1024;

/** A frame header is at most 18 bytes: magic (4), descriptor (1), window (1), dict id (4), content size (8). */
export const MAX_FRAME_HEADER_BYTES = 18;

const ZSTD_MAGIC = 0xfd2fb528;
const CHECKSUM_FLAG = 0x04;

let cctx: CCtx | undefined;
let cctxLevel: number | undefined;
let dctx: DCtx | undefined;

/**
 * One compression context for the process: creating one costs more than
 * compressing a small file, and calls are synchronous. Frame flags are set once,
 * the level only when it changes (each parameter call crosses into native code).
 */
function compressor(level: number): CCtx {
  if (cctx === undefined) {
    cctx = new binding.CCtx();
    cctx.setParameter(binding.CParameter.checksumFlag, 1);
    cctx.setParameter(binding.CParameter.contentSizeFlag, 1);
  }
  if (cctxLevel !== level) {
    cctx.setParameter(binding.CParameter.compressionLevel, level);
    cctxLevel = level;
  }
  // Drops any half-written frame a previous call may have left after an exception; keeps the parameters.
  cctx.reset(binding.ResetDirective.sessionOnly);
  return cctx;
}

export function isZstdLevel(level: unknown): level is number {
  return Number.isInteger(level) && (level as number) >= binding.minCLevel() && (level as number) <= binding.maxCLevel();
}

/**
 * Compresses `data` as one frame with content size and checksum. Deterministic
 * for a given libzstd version, level and boundaries.
 *
 * `boundaries` are offsets where the data's statistics change (the safetensors
 * header ends, a byte plane starts). The frame ends a block at each, so every
 * block gets entropy tables fitted to one kind of data: byte-shuffled vectors
 * compress ~15% instead of ~8% in a typical 100 KB file, where all planes would
 * otherwise share one 128 KB block and one Huffman table. Still one ordinary frame.
 */
export function zstdCompress(data: Uint8Array, level = DEFAULT_LEVEL, boundaries: readonly number[] = []): Uint8Array {
  if (!isZstdLevel(level)) throw new RangeError(`zstd level ${level} is outside ${binding.minCLevel()}..${binding.maxCLevel()}`);
  const ctx = compressor(level);
  const cuts = [...new Set(boundaries)].filter((b) => b > 0 && b < data.byteLength).sort((a, b) => a - b);
  // Each flushed block adds a 3-byte header and may end up stored raw; the margin covers that.
  const bound = binding.compressBound(data.byteLength) + 64 * (cuts.length + 1);
  // Uninitialised is safe: only the `written` bytes zstd produced are returned.
  const out = Buffer.allocUnsafeSlow(bound);
  let written: number;
  if (cuts.length === 0) {
    // Single pass knows the input size, so the header gets the content size without a pledge.
    written = ctx.compress2(out, data);
  } else {
    ctx.setPledgedSrcSize(data.byteLength);
    written = compressSegments(ctx, out, data, [...cuts, data.byteLength]);
  }
  // A view, not a copy: the slack past `written` (under 1% for vectors) lives only as long as the result.
  // A plain Uint8Array, not a Buffer, whose slice() would share memory instead of copying.
  return new Uint8Array(out.buffer, out.byteOffset, written);
}

/**
 * Compresses the concatenation of `parts` into one frame, as `zstdCompress` would
 * compress their joined bytes with a block cut after each part listed in
 * `cutAfter`, without ever joining them: a cache file's vectors go to zstd
 * straight from where they are, not through one more copy of them all.
 */
export function zstdCompressParts(parts: readonly Uint8Array[], level = DEFAULT_LEVEL, cutAfter: ReadonlySet<number> = new Set()): Uint8Array {
  if (!isZstdLevel(level)) throw new RangeError(`zstd level ${level} is outside ${binding.minCLevel()}..${binding.maxCLevel()}`);
  if (parts.length === 0) return zstdCompress(new Uint8Array(0), level);
  const total = parts.reduce((n, part) => n + part.byteLength, 0);
  const ctx = compressor(level);
  // The same margin as zstdCompress; pages of the buffer zstd never writes are never touched.
  const out = Buffer.allocUnsafeSlow(binding.compressBound(total) + 64 * (cutAfter.size + 1));
  ctx.setPledgedSrcSize(total);
  let written = 0;
  parts.forEach((part, i) => {
    const directive =
      i === parts.length - 1 ? binding.EndDirective.end : cutAfter.has(i) ? binding.EndDirective.flush : binding.EndDirective.continue;
    let input = part;
    for (;;) {
      const [pending, produced, consumed] = ctx.compressStream2(out.subarray(written), input, directive);
      written += produced;
      input = input.subarray(consumed);
      if (input.byteLength === 0 && (directive === binding.EndDirective.continue || pending === 0)) break;
      if (produced === 0 && consumed === 0) throw new Error('zstd: compression made no progress (output buffer too small)');
    }
  });
  return new Uint8Array(out.buffer, out.byteOffset, written);
}

function compressSegments(ctx: CCtx, out: Buffer, data: Uint8Array, ends: readonly number[]): number {
  let written = 0;
  let start = 0;
  for (const end of ends) {
    const directive = end === data.byteLength ? binding.EndDirective.end : binding.EndDirective.flush;
    let input = data.subarray(start, end);
    for (;;) {
      const [pending, produced, consumed] = ctx.compressStream2(out.subarray(written), input, directive);
      written += produced;
      input = input.subarray(consumed);
      if (pending === 0 && input.byteLength === 0) break;
      if (produced === 0 && consumed === 0) throw new Error('zstd: compression made no progress (output buffer too small)');
    }
    start = end;
  }
  return written;
}

function formatError(what: string, err: unknown): CacheFormatError {
  const reason = err instanceof Error ? err.message : String(err);
  return new CacheFormatError(`zstd: ${what} (${reason})`, { cause: err });
}

/**
 * Content size declared by the frame header at the start of `frame` (the first
 * MAX_FRAME_HEADER_BYTES bytes are enough). Validates the magic number and
 * that the header declares a size; does not decompress.
 */
export function zstdContentSize(frame: Uint8Array): number {
  if (frame.byteLength < 5) throw new CacheFormatError(`zstd: ${frame.byteLength} bytes is too short for a frame header`);
  const magic = new DataView(frame.buffer, frame.byteOffset, 4).getUint32(0, true);
  // Skippable frames (0x184D2A5?) would report size 0 and then be skipped by libzstd; we never write them.
  if (magic !== ZSTD_MAGIC) throw new CacheFormatError(`zstd: not a zstd frame (magic 0x${magic.toString(16).padStart(8, '0')})`);
  let size: number | null;
  try {
    size = binding.getFrameContentSize(frame);
  } catch (err) {
    throw formatError('unreadable frame header', err);
  }
  if (size === null) throw new CacheFormatError('zstd: frame header does not declare its content size');
  return size;
}

/**
 * Decompresses exactly one frame. Checks the declared size against `maxBytes`
 * before allocating; libzstd then refuses output beyond the declared size and
 * verifies the checksum.
 */
export function zstdDecompress(frame: Uint8Array, maxBytes = MAX_DECOMPRESSED_BYTES): Uint8Array {
  const size = zstdContentSize(frame);
  if (size > maxBytes) throw new CacheFormatError(`zstd: frame declares ${size} bytes, over the ${maxBytes}-byte limit`);
  const descriptor = frame[4] ?? 0;
  if ((descriptor & CHECKSUM_FLAG) === 0) throw new CacheFormatError('zstd: frame has no content checksum');
  let frameLength: number;
  try {
    frameLength = binding.findFrameCompressedSize(frame);
  } catch (err) {
    throw formatError('truncated or corrupt frame', err);
  }
  if (frameLength !== frame.byteLength) {
    throw new CacheFormatError(`zstd: ${frame.byteLength - frameLength} bytes after the end of the frame`);
  }
  // Uninitialised is safe: libzstd must write exactly `size` bytes or we throw below.
  const out = Buffer.allocUnsafeSlow(size);
  dctx ??= new binding.DCtx();
  let written: number;
  try {
    written = dctx.decompress(out, frame);
  } catch (err) {
    throw formatError('corrupt frame', err);
  }
  if (written !== size) throw new CacheFormatError(`zstd: frame produced ${written} bytes, header declared ${size}`);
  return new Uint8Array(out.buffer, out.byteOffset, size);
}

/**
 * Incremental decompression of a frame's first bytes, for reading a header
 * without decompressing (or reading) the whole file. Output is capped at
 * `maxOutput`; feeding stops being useful once `output` holds what you need.
 */
export class ZstdPrefixDecoder {
  private readonly ctx: DCtx = new binding.DCtx();
  private readonly buffer: Uint8Array;
  private produced = 0;
  private finished = false;

  constructor(maxOutput: number) {
    this.buffer = new Uint8Array(maxOutput);
  }

  /** Everything decompressed so far. */
  get output(): Uint8Array {
    return this.buffer.subarray(0, this.produced);
  }

  /** True once the frame ended or the output cap is reached. */
  get done(): boolean {
    return this.finished || this.produced === this.buffer.byteLength;
  }

  push(chunk: Uint8Array): void {
    let input = chunk;
    while (!this.done && input.byteLength > 0) {
      let result: [number, number, number];
      try {
        result = this.ctx.decompressStream(this.buffer.subarray(this.produced), input);
      } catch (err) {
        throw formatError('corrupt frame', err);
      }
      const [remaining, produced, consumed] = result;
      this.produced += produced;
      input = input.subarray(consumed);
      if (remaining === 0) this.finished = true;
      // No progress means libzstd needs more input than this chunk holds.
      if (produced === 0 && consumed === 0) break;
    }
  }
}
