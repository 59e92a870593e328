/**
 * Scores on an absolute scale. Each ranker's own score is kept (cosine similarity, BM25 as
 * LanceDB returns it), and the score a result is ranked by, shown and cut at (--min-score)
 * depends on the chunk alone, never on the other results: a question nothing answers gets
 * low scores, not a first result near 1.
 *
 * - text: BM25 is unbounded and grows with the number of query words matched, so it is
 *   saturated, bm25 / (bm25 + BM25_HALF), into [0, 1).
 * - hybrid: a weighted sum of the cosine (below 0 counts as 0) and the saturated BM25, in
 *   [0, 1] (CombSUM over bounded scores). A chunk one ranker did not return gets 0 from it.
 *
 * Replaces reciprocal rank fusion, whose score is relative (1 for the first result of any
 * query) and which ranked worse on the dev questions (bench/eval/questions.json, local-v1
 * and local-v2, source-first prior on): Recall@10 0.75 and 0.77 under RRF, 0.84 and 0.87
 * fused this way. Pure: no I/O.
 */

/** The BM25 score at which the saturated text score is one half (a good match of one or two rare words in our eval corpora). */
export const BM25_HALF = 20;

/** Share of the hybrid score that comes from the cosine; the saturated BM25 gives the rest. */
export const VECTOR_WEIGHT = 0.8;

/** Each ranker's own score for a chunk; absent when that ranker did not return it. */
export interface RankerScores {
  /** Cosine similarity of the query's and the chunk's vectors, -1 to 1. */
  vector?: number;
  /** BM25 as LanceDB's full-text search returns it, 0 and up. */
  text?: number;
}

/** BM25 mapped into [0, 1): 0 for no match, one half at BM25_HALF, towards 1 as it grows. */
export function saturatedBm25(bm25: number): number {
  return bm25 > 0 ? bm25 / (bm25 + BM25_HALF) : 0;
}

/** The hybrid score in [0, 1] of a chunk with these ranker scores. */
export function hybridScore(scores: RankerScores): number {
  const cosine = Math.min(1, Math.max(0, scores.vector ?? 0));
  return VECTOR_WEIGHT * cosine + (1 - VECTOR_WEIGHT) * saturatedBm25(scores.text ?? 0);
}

/** An item with the score it is ranked by and each ranker's own. */
export type Fused<T> = T & { score: number; scores: RankerScores };

/**
 * Both candidate lists as one, by hybrid score, best first. An item both lists hold is
 * kept once (the vector list's copy). Equal scores keep the vector list's order, then the
 * text list's, so the ranking is deterministic.
 */
export function fuseHybrid<T extends { score: number }>(
  vector: readonly T[],
  text: readonly T[],
  keyOf: (item: T) => string,
): Fused<T>[] {
  const merged = new Map<string, { item: T; scores: RankerScores; order: number }>();
  for (const item of vector) {
    const key = keyOf(item);
    if (!merged.has(key)) merged.set(key, { item, scores: { vector: item.score }, order: merged.size });
  }
  for (const item of text) {
    const key = keyOf(item);
    const seen = merged.get(key);
    if (seen === undefined) merged.set(key, { item, scores: { text: item.score }, order: merged.size });
    else seen.scores.text ??= item.score;
  }
  return [...merged.values()]
    .map(({ item, scores, order }) => ({ fused: { ...item, score: hybridScore(scores), scores }, order }))
    .sort((a, b) => b.fused.score - a.fused.score || a.order - b.order)
    .map(({ fused }) => fused);
}
