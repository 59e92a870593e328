/** What every embedding provider offers the indexer and the query path. */
export interface EmbeddingProvider {
  /** Model name as stored in the cache (`local-v1`, `text-embedding-3-large`); also the cache directory's source. */
  readonly model: string;
  readonly dims: number;
  /** Largest input, in this provider's tokens; the chunker stays below it. */
  readonly maxInputTokens: number;
  /** Token count as the provider bills it. */
  countTokens(text: string): number;
  /**
   * One vector per text, in order. Providers batch and retry internally, so callers
   * may pass inputs from many blobs at once.
   */
  embed(texts: readonly string[], options?: { signal?: AbortSignal }): Promise<EmbedResult>;
}

export interface EmbedResult {
  vectors: Float32Array[];
  tokens: number;
  costUsd: number;
}
