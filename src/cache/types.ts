/** One chunk's vector with the span it was computed from. */
export interface Embedding {
  vector: Float32Array;
  /** 1-based, inclusive. */
  startLine: number;
  /** 1-based, inclusive. */
  endLine: number;
  tokens: number;
  /** Content hash of the chunk text (lets an edited file reuse unchanged chunks' vectors). */
  chunkHash?: string;
}

/** How vectors are stored in a cache file; `cache.encoding` and the codec both use this list. */
export const CACHE_ENCODINGS = ['f32', 'f32-shuffle', 'f16'] as const;

export type CacheEncoding = (typeof CACHE_ENCODINGS)[number];
