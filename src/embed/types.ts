/** What every embedding provider offers the indexer and the query path. */
export interface EmbeddingProvider {
  /** Model name as stored in the cache (`local-v1`, `text-embedding-3-large`); also the cache directory's source. */
  readonly model: string;
  readonly dims: number;
  /** Largest input, in this provider's tokens; the chunker stays below it. */
  readonly maxInputTokens: number;
  /** Price in US dollars per million input tokens (0 for local and unknown models), for cost estimates before paying. */
  readonly usdPerMillionTokens?: number;
  /** Computed in process, no network: caching its query vectors would cost more than it saves. */
  readonly inProcess?: boolean;
  /** Token count as the provider bills it. */
  countTokens(text: string): number;
  /**
   * One vector per text, in order. Providers batch and retry internally, so callers
   * may pass inputs from many blobs at once.
   */
  embed(texts: readonly string[], options?: EmbedOptions): Promise<EmbedResult>;
}

export interface EmbedOptions {
  /**
   * What the texts are: indexed chunks (the default) or a search query. Models trained with
   * instruction prefixes (bge's "Represent this sentence…") embed the two differently.
   */
  inputType?: 'query' | 'document';
  /** Aborting stops new requests and cancels those in flight; `embed` then rejects with InterruptedError. */
  signal?: AbortSignal;
  /**
   * Called as each run of inputs is done, before `embed` resolves, so a caller can
   * cache finished work even if a later request fails or the run is interrupted.
   */
  onProgress?: (done: EmbedProgress) => void;
}

export interface EmbedProgress {
  /** The inputs `[start, end)` of the `texts` passed to `embed`. */
  start: number;
  end: number;
  vectors: Float32Array[];
  tokens: number;
  costUsd: number;
}

export interface EmbedResult {
  vectors: Float32Array[];
  tokens: number;
  costUsd: number;
  /** Inputs cut to `maxInputTokens` before sending (the chunker should make this 0). */
  truncated?: number;
}
