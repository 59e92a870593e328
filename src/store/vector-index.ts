/**
 * When the chunks table gets an approximate-nearest-neighbour (ANN) index on its
 * vectors, when that index is trained again, and how searches probe it. Pure: the
 * store asks these functions and does what they say.
 *
 * Below a size a flat scan of every vector is fast and exact, and an index would only
 * cost build time and recall; past it the scan grows with the table while an IVF
 * search reads a few partitions. The index is IVF-PQ with cosine distance: partitions
 * (k-means centroids) pick where to look, product-quantised codes rank inside them,
 * and the best `limit × REFINE_FACTOR` are re-ranked with their full vectors, so the
 * scores searches see are exact cosines and the order within the top is exact too.
 */

/**
 * The chunk count from which a table gets an ANN index. Measured with `npm run bench -- ann`
 * (512 dims, 2 cores): a flat scan costs about 1 ms per 10k rows (≈5 ms at 50k, ≈11 ms at
 * 100k, ≈110 ms at 1M) while an indexed query costs ≈3-5 ms at any of these sizes, so the
 * index pays from a few tens of thousands of rows; training it then takes seconds. Below
 * this, searches stay exact.
 */
export const VECTOR_INDEX_MIN_ROWS = 50_000;

/**
 * Retrain once the table holds this many times the rows the index was trained on. New rows
 * are added to the existing partitions by optimize(); the centroids stay those of the old
 * data, and recall slowly degrades as the table outgrows them.
 */
export const RETRAIN_GROWTH = 2;

/** Partitions probed per query; raised to the measured recall (≥ 0.95 Recall@10 vs exact in the bench). */
export const NPROBES = 20;

/** Candidates re-ranked with full vectors, as a multiple of the limit (see module comment). */
export const REFINE_FACTOR = 10;

/** What meta.json records about the vector index, so the next run knows when to retrain. */
export interface VectorIndexRecord {
  kind: 'ivf_pq';
  /** Rows in the table when the index was trained. */
  trained_rows: number;
  partitions: number;
}

export type VectorIndexAction =
  /** No index, and none wanted. */
  | { kind: 'none' }
  /** Train a new index (replacing any). */
  | { kind: 'train'; partitions: number; subVectors: number }
  /** Keep the index; optimize() adds the new rows to it. */
  | { kind: 'update' }
  /** The table shrank well below the threshold: back to exact search. */
  | { kind: 'drop' };

export interface VectorIndexPolicy {
  minRows: number;
}

export const DEFAULT_VECTOR_INDEX_POLICY: VectorIndexPolicy = Object.freeze({ minRows: VECTOR_INDEX_MIN_ROWS });

/**
 * √rows partitions (LanceDB's own default), so a probe reads about √rows vectors; kept so
 * that each partition has enough rows to train on.
 */
export function partitionsFor(rows: number): number {
  return Math.max(1, Math.min(Math.round(Math.sqrt(rows)), Math.floor(rows / 64)));
}

/**
 * Sub-vectors for PQ: 16 values each (8 when 16 does not divide the size), the sizes
 * LanceDB's SIMD kernels are built for. Undefined when neither divides the size: such
 * vectors get no index and stay exact.
 */
export function subVectorsFor(dims: number): number | undefined {
  if (dims % 16 === 0) return dims / 16;
  if (dims % 8 === 0) return dims / 8;
  return undefined;
}

/**
 * What to do about the vector index at the end of a run. `hasIndex` is what the table
 * holds; `record` what meta.json says it was trained on (absent for an index of unknown origin).
 * A table that falls under the threshold keeps its index until it is half that size, so a
 * repository near the line does not build and drop it on alternate runs.
 */
export function planVectorIndex(
  rows: number,
  dims: number,
  hasIndex: boolean,
  record: VectorIndexRecord | undefined,
  policy: VectorIndexPolicy = DEFAULT_VECTOR_INDEX_POLICY,
): VectorIndexAction {
  const subVectors = subVectorsFor(dims);
  if (subVectors === undefined) return hasIndex ? { kind: 'drop' } : { kind: 'none' };
  if (hasIndex) {
    if (rows < policy.minRows / 2) return { kind: 'drop' };
    if (record === undefined || rows >= record.trained_rows * RETRAIN_GROWTH) return { kind: 'train', partitions: partitionsFor(rows), subVectors };
    return { kind: 'update' };
  }
  return rows >= policy.minRows ? { kind: 'train', partitions: partitionsFor(rows), subVectors } : { kind: 'none' };
}
