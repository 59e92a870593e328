/**
 * Inputs grouped for a model that pads every text of a batch to the longest: sorted by length,
 * then cut so that each batch's padded size (texts × longest) stays within a token budget. Texts
 * of like length share a batch, so little compute goes to padding. Pure.
 */

export interface LengthBatchLimits {
  /** Padded tokens per batch (texts × longest text). */
  maxPaddedTokens: number;
  maxTexts: number;
}

export const DEFAULT_LENGTH_BATCH_LIMITS: Readonly<LengthBatchLimits> = Object.freeze({ maxPaddedTokens: 8192, maxTexts: 64 });

/** Input indices per batch, shortest texts first; every index appears exactly once. */
export function planLengthBatches(lengths: readonly number[], limits: LengthBatchLimits = DEFAULT_LENGTH_BATCH_LIMITS): number[][] {
  if (limits.maxPaddedTokens < 1 || limits.maxTexts < 1) throw new RangeError('batch limits must be positive');
  // Stable: equal lengths keep input order, so the plan is the same on every run.
  const order = lengths.map((_, i) => i).sort((a, b) => (lengths[a] as number) - (lengths[b] as number) || a - b);
  const batches: number[][] = [];
  let current: number[] = [];
  for (const index of order) {
    const longest = lengths[index] as number; // ascending: the newcomer is the longest
    if (current.length > 0 && (current.length >= limits.maxTexts || (current.length + 1) * longest > limits.maxPaddedTokens)) {
      batches.push(current);
      current = [];
    }
    current.push(index);
  }
  if (current.length > 0) batches.push(current);
  return batches;
}

/** `indices` (any order) as maximal runs of consecutive numbers `[start, end)`, ascending. */
export function consecutiveRuns(indices: readonly number[]): Array<{ start: number; end: number }> {
  const sorted = [...indices].sort((a, b) => a - b);
  const runs: Array<{ start: number; end: number }> = [];
  for (const i of sorted) {
    const last = runs[runs.length - 1];
    if (last !== undefined && last.end === i) last.end = i + 1;
    else runs.push({ start: i, end: i + 1 });
  }
  return runs;
}
