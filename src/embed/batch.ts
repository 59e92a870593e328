/**
 * How inputs are grouped into embedding requests: in order, each request as
 * full as the API allows (2,048 inputs and 300,000 tokens for OpenAI), so a run
 * over many small blobs makes few requests. Pure.
 */

export interface BatchLimits {
  maxInputs: number;
  maxTokens: number;
}

export const OPENAI_BATCH_LIMITS: Readonly<BatchLimits> = Object.freeze({ maxInputs: 2048, maxTokens: 300_000 });

/** A run of consecutive inputs, `[start, end)`, and its token total. */
export interface Batch {
  start: number;
  end: number;
  tokens: number;
}

/**
 * Cuts `tokenCounts` into consecutive batches within `limits`. An input larger
 * than `maxTokens` on its own gets a batch to itself (callers keep inputs below
 * the per-input limit, which is far smaller).
 */
export function planBatches(tokenCounts: readonly number[], limits: BatchLimits): Batch[] {
  if (limits.maxInputs < 1 || limits.maxTokens < 1) throw new RangeError('batch limits must be positive');
  const batches: Batch[] = [];
  let start = 0;
  let tokens = 0;
  for (let i = 0; i < tokenCounts.length; i++) {
    const t = tokenCounts[i] as number;
    const full = i - start >= limits.maxInputs || (i > start && tokens + t > limits.maxTokens);
    if (full) {
      batches.push({ start, end: i, tokens });
      start = i;
      tokens = 0;
    }
    tokens += t;
  }
  if (tokenCounts.length > start) batches.push({ start, end: tokenCounts.length, tokens });
  return batches;
}
