/**
 * Builds zstd frames the production code never writes (bombs, frames without a
 * content size or checksum) straight from the libzstd binding, for hostile-input tests.
 */
import binding from 'zstd-napi/binding.js';

export interface FrameOptions {
  level?: number;
  checksum?: boolean;
  contentSize?: boolean;
}

/** Streams `total` bytes of zeros through a compressor in 1 MiB pieces, so the test never holds them in memory. */
export function zeroBomb(total: number, { level = 1, checksum = true, contentSize = true }: FrameOptions = {}): Uint8Array {
  const ctx = new binding.CCtx();
  ctx.setParameter(binding.CParameter.compressionLevel, level);
  ctx.setParameter(binding.CParameter.checksumFlag, checksum ? 1 : 0);
  ctx.setParameter(binding.CParameter.contentSizeFlag, contentSize ? 1 : 0);
  if (contentSize) ctx.setPledgedSrcSize(total);
  const piece = new Uint8Array(1024 * 1024);
  const out = Buffer.alloc(Math.max(64 * 1024, total / 1000));
  let written = 0;
  let remaining = total;
  for (;;) {
    const size = Math.min(piece.length, remaining);
    let input = piece.subarray(0, size);
    remaining -= size;
    const directive = remaining === 0 ? binding.EndDirective.end : binding.EndDirective.continue;
    for (;;) {
      const [pending, produced, consumed] = ctx.compressStream2(out.subarray(written), input, directive);
      written += produced;
      input = input.subarray(consumed);
      if (input.length === 0 && (directive !== binding.EndDirective.end || pending === 0)) break;
    }
    if (remaining === 0) return new Uint8Array(out.subarray(0, written));
  }
}

/** One ordinary frame of `data` with chosen flags (single pass). */
export function frameOf(data: Uint8Array, { level = 3, checksum = true, contentSize = true }: FrameOptions = {}): Uint8Array {
  const ctx = new binding.CCtx();
  ctx.setParameter(binding.CParameter.compressionLevel, level);
  ctx.setParameter(binding.CParameter.checksumFlag, checksum ? 1 : 0);
  ctx.setParameter(binding.CParameter.contentSizeFlag, contentSize ? 1 : 0);
  const out = Buffer.alloc(binding.compressBound(data.length));
  return new Uint8Array(out.subarray(0, ctx.compress2(out, data)));
}

/**
 * A frame header claiming `claimed` bytes of content (8-byte size field,
 * single segment, checksum flag), followed by one tiny RLE block: the lie costs
 * nothing to store.
 */
export function lyingFrame(claimed: bigint): Uint8Array {
  const header = new Uint8Array(4 + 1 + 8);
  const view = new DataView(header.buffer);
  view.setUint32(0, 0xfd2fb528, true);
  header[4] = 0b1110_0100; // FCS field 8 bytes, single segment, checksum
  view.setBigUint64(5, claimed, true);
  // Last block, type RLE (1), 128 KiB of byte 0: header is 3 bytes little-endian (size << 3 | type << 1 | last).
  const block = (1 << 17) * 8 + (1 << 1) + 1;
  const body = Uint8Array.of(block & 0xff, (block >> 8) & 0xff, (block >> 16) & 0xff, 0, 0, 0, 0, 0);
  const out = new Uint8Array(header.length + body.length);
  out.set(header);
  out.set(body, header.length);
  return out;
}

/** A skippable frame (magic 0x184D2A50), which libzstd would silently step over. */
export function skippableFrame(payload: Uint8Array): Uint8Array {
  const out = new Uint8Array(8 + payload.length);
  const view = new DataView(out.buffer);
  view.setUint32(0, 0x184d2a50, true);
  view.setUint32(4, payload.length, true);
  out.set(payload, 8);
  return out;
}
