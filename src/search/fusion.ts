/**
 * Scores on an absolute scale. Each ranker's own score is kept (cosine similarity, BM25 as
 * LanceDB returns it), and the score a result is ranked by, shown and cut at (--min-score)
 * depends on the chunk alone, never on the other results: a question nothing answers gets
 * low scores, not a first result near 1.
 *
 * - text: BM25 is unbounded and grows with the number of query words matched, so it is
 *   saturated, bm25 / (bm25 + BM25_HALF), into [0, 1).
 * - hybrid: the stronger of the two pieces of evidence, max(cosine, saturated BM25), in
 *   [0, 1] (CombMAX over bounded scores; a cosine below 0 counts as 0, a ranker that did not
 *   return the chunk gives 0). A question in the code's own words has a strong BM25 match,
 *   and the maximum keeps it on top as plain BM25 would; a question in other words matches
 *   few rare words, its saturated BM25 stays low, and the cosine decides. A weighted sum
 *   cannot do both: on the dev questions (bench/eval/questions.json, source-first prior on)
 *   every BM25 weight that kept literal questions at BM25's level cost the reworded ones
 *   half their recall, and every weight that kept those lost literal MRR@10 to BM25.
 *
 * Replaces reciprocal rank fusion, whose score is relative (1 for the first result of any
 * query) and which ranked below BM25 on literal questions. Pure: no I/O.
 */

/**
 * The BM25 score at which the saturated text score is one half: about one rare word matched
 * in a chunk of our eval corpora. Chosen on the dev questions only (10 against 5 and 20).
 */
export const BM25_HALF = 10;

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
  return Math.max(cosine, saturatedBm25(scores.text ?? 0));
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
