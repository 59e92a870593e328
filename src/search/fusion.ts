/**
 * Reciprocal rank fusion (Cormack, Clarke and Büttcher, 2009): each list votes
 * 1 / (k + rank) for each of its items. Chosen over mixing raw scores because the
 * two lists speak different units (cosine similarity against unbounded BM25), and
 * RRF needs no per-query calibration: it only trusts each ranker's order.
 * k = 60 is the value from the paper, and the one most systems ship with.
 */
export const RRF_K = 60;

export interface Ranked<T> {
  item: T;
  /** The fused score, normalised so 1 means "ranked first by every list". */
  score: number;
}

export function reciprocalRankFusion<T>(lists: readonly (readonly T[])[], keyOf: (item: T) => string, k = RRF_K): Ranked<T>[] {
  const fused = new Map<string, { item: T; sum: number }>();
  for (const list of lists) {
    list.forEach((item, index) => {
      const key = keyOf(item);
      const entry = fused.get(key);
      const vote = 1 / (k + index + 1);
      if (entry) entry.sum += vote;
      else fused.set(key, { item, sum: vote });
    });
  }
  const best = lists.length / (k + 1);
  return [...fused.values()]
    .map(({ item, sum }) => ({ item, score: best > 0 ? sum / best : 0 }))
    .sort((a, b) => b.score - a.score);
}
