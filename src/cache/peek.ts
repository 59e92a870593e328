/**
 * A cache file's metadata from its first bytes: the zstd frame header gives the
 * uncompressed size, and the safetensors header is decompressed from as few bytes
 * as hold it (usually the first block), never the whole file. For tools that
 * survey many files (stats, verify) without decoding each in full.
 *
 * Pure code: the caller reads the bytes and pushes them in order.
 */
import { MAX_DIMS } from './codec.js';
import { CacheFormatError } from './errors.js';
import { decodeSafetensorsHeader, DEFAULT_MAX_HEADER_BYTES } from './safetensors.js';
import { MAX_DECOMPRESSED_BYTES, zstdContentSize, ZstdPrefixDecoder } from './zstd.js';

/** How many bytes of a file to push at a time: the first zstd block usually holds the whole header. */
export const PEEK_CHUNK_BYTES = 32 * 1024;

const CUT_OFF = 'safetensors: the header is cut off';

/**
 * Feeds on a cache file's bytes until its safetensors metadata is known, or known
 * to be unreadable. `push` throws CacheFormatError (or whatever the decoders throw
 * on hostile bytes) for a file that is not a cache file at all.
 */
export class CacheHeaderPeek {
  /** The content size the zstd frame declares; known after the first push. */
  contentSize: number | undefined;
  /** The safetensors metadata, once its header has been decompressed. */
  metadata: Record<string, string> | undefined;
  /** Why no metadata can come, once that is known (the frame declares too much, the header is cut off). */
  problem: string | undefined;
  private decoder: ZstdPrefixDecoder | undefined;

  /** True when more bytes would tell nothing new. */
  get done(): boolean {
    return this.metadata !== undefined || this.problem !== undefined;
  }

  /** The file's next bytes; the first push must hold the frame header. */
  push(input: Uint8Array): void {
    if (this.done) return;
    if (this.decoder === undefined) {
      const size = zstdContentSize(input);
      this.contentSize = size;
      if (size > MAX_DECOMPRESSED_BYTES) {
        this.problem = `zstd: frame declares ${size} bytes, over the ${MAX_DECOMPRESSED_BYTES}-byte limit`;
        return;
      }
      this.decoder = new ZstdPrefixDecoder(Math.min(size, 8 + DEFAULT_MAX_HEADER_BYTES));
    }
    this.decoder.push(input);
    const header = decodeSafetensorsHeader(this.decoder.output, this.contentSize as number);
    if (header !== undefined) this.metadata = header.metadata;
    else if (this.decoder.done) this.problem = CUT_OFF;
  }

  /** The metadata; CacheFormatError when the bytes pushed so far cannot give it. */
  result(): Record<string, string> {
    if (this.metadata === undefined) throw new CacheFormatError(this.problem ?? CUT_OFF);
    return this.metadata;
  }
}

/** The safetensors metadata of a whole cache file in memory, decompressing only its beginning. */
export function peekCacheMetadata(bytes: Uint8Array): Record<string, string> {
  const peek = new CacheHeaderPeek();
  // At least one push, so that an empty file is refused for its missing frame header.
  let at = 0;
  do {
    peek.push(bytes.subarray(at, at + PEEK_CHUNK_BYTES));
    at += PEEK_CHUNK_BYTES;
  } while (at < bytes.byteLength && !peek.done);
  return peek.result();
}

/** The vector size the metadata declares, when it declares a plausible one (1..MAX_DIMS). */
export function declaredDims(metadata: Record<string, string>): number | undefined {
  const text = metadata['dims'] ?? '';
  const dims = /^[1-9][0-9]{0,5}$/.test(text) ? Number(text) : undefined;
  return dims !== undefined && dims <= MAX_DIMS ? dims : undefined;
}
