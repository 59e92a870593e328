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

export type CacheEncoding = 'f32' | 'f32-shuffle' | 'f16';
export const CACHE_ENCODINGS: readonly CacheEncoding[] = ['f32', 'f32-shuffle', 'f16'];
