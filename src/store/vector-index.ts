/**
 * When the chunks table gets an approximate-nearest-neighbour (ANN) index on its
 * vectors, when that index is trained again, and how searches probe it. Pure: the
 * store asks these functions and does what they say.
 *
 * Below a size a flat scan of every vector is fast and exact, and an index would only
 * cost build time and recall; past it the scan grows with the table while an IVF
 * search reads a few partitions. The index is IVF_HNSW_SQ with cosine distance: k-means
 * partitions pick where to look, an HNSW graph per partition over scalar-quantised (8-bit)
 * vectors finds the nearest in each, and the best REFINE_MIN_CANDIDATES, or `limit` when more (refineFactorFor), are re-ranked with
 * their full vectors, so the scores searches see are exact cosines and the order of the top
 * is exact too. Measured beside IVF-PQ on the same data (512 dims, 20k rows, 2 cores): the
 * same recall (1.000 at 20 probes), a seventh of the training CPU (3.3 s against 21.8 s; PQ's
 * codebook training is the cost), and SQ needs no dimension a sub-vector size divides.
 */

/**
 * The chunk count from which a table gets an ANN index. Measured with `npm run bench -- ann`
 * (512 dims, on a shared 2-core machine under load): an exact scan's median query took 12 ms
 * at 10k rows and 111 ms at 60k, growing with the table, while an indexed query took about
 * 10 ms at 20k and 60k alike; the lines cross near 10k-20k rows. The threshold sits higher,
 * at 50k, because under it the scan is still a few tens of milliseconds at worst and exact,
 * while training costs seconds at the end of a run and the index must be kept up; past it
 * the scan's cost, not the index's, is what grows.
 */
export const VECTOR_INDEX_MIN_ROWS = 50_000;

/**
 * Retrain once the table holds this many times the rows the index was trained on. New rows
 * are added to the existing partitions by optimize(); the centroids stay those of the old
 * data, and recall slowly degrades as the table outgrows them.
 */
export const RETRAIN_GROWTH = 2;

/**
 * Partitions probed per query, exactly: set as both LanceDB's minimum and maximum, because with
 * a higher maximum LanceDB 0.37 searched every partition of an HNSW index, whatever the first
 * ones held (measured at 1M rows: all 122 partitions, 107 ms a query against 24 ms for 20). A
 * filtered search that comes back short through the index is answered by an exact scan instead
 * (IndexStore.vectorSearch), so a narrow filter still finds every row it passes.
 */
export const NPROBES = 20;

/**
 * Rows per partition: each partition is one HNSW graph, whose build holds it in memory; graphs
 * of a few thousand rows keep training memory small and searches of a partition cheap.
 */
export const ROWS_PER_PARTITION = 8192;

/**
 * Candidates re-ranked with full vectors, at least (see module comment). Each probed partition's
 * graph search yields this many, so the search costs about NPROBES times it: at 1M rows
 * (`npm run bench -- ann`, 50 queries) 110 candidates took 24-44 ms a query and 55 took 14-17 ms,
 * both at Recall@10 1.000 against an exact scan. A query for the hybrid pool (500) asks for more
 * than this already and re-ranks just its own rows (refine factor 1): its scores stay exact
 * cosines, and re-ranking twice the pool doubled the graph search (253 against 120 ms).
 */
export const REFINE_MIN_CANDIDATES = 50;

/** The refine factor (a multiple of `limit`) for a query of `limit` rows: enough for REFINE_MIN_CANDIDATES, at least one. */
export function refineFactorFor(limit: number): number {
  return Math.max(1, Math.ceil(REFINE_MIN_CANDIDATES / limit));
}

/**
 * HNSW's search width: LanceDB's default (1.5 times the limit) counts the limit alone, but the
 * graph must yield every candidate the refine step re-ranks.
 */
export function efFor(limit: number): number {
  return Math.ceil(1.5 * limit * refineFactorFor(limit));
}

export const VECTOR_INDEX_KIND = 'ivf_hnsw_sq';

/** What meta.json records about the vector index, so the next run knows when to retrain. */
export interface VectorIndexRecord {
  /** VECTOR_INDEX_KIND when this gitctx trained it. */
  kind: string;
  /** Rows in the table when the index was trained. */
  trained_rows: number;
  partitions: number;
}

export type VectorIndexAction =
  /** No index, and none wanted. */
  | { kind: 'none' }
  /** Train a new index (replacing any). */
  | { kind: 'train'; partitions: number }
  /** Keep the index; optimize() adds the new rows to it. */
  | { kind: 'update' }
  /** The table shrank well below the threshold: back to exact search. */
  | { kind: 'drop' };

/** The sizes above as one value, so tests can cross them with a small table. */
export interface VectorIndexPolicy {
  minRows: number;
  rowsPerPartition: number;
}

export const DEFAULT_VECTOR_INDEX_POLICY: VectorIndexPolicy = Object.freeze({ minRows: VECTOR_INDEX_MIN_ROWS, rowsPerPartition: ROWS_PER_PARTITION });

/** Partitions of about `rowsPerPartition` rows each. */
export function partitionsFor(rows: number, rowsPerPartition = ROWS_PER_PARTITION): number {
  return Math.max(1, Math.round(rows / rowsPerPartition));
}

/**
 * What to do about the vector index at the end of a run. `hasIndex` is what the table
 * holds; `record` what meta.json says it was trained on (absent for an index of unknown origin).
 * A table that falls under the threshold keeps its index until it is half that size, so a
 * repository near the line does not build and drop it on alternate runs.
 */
export function planVectorIndex(
  rows: number,
  hasIndex: boolean,
  record: VectorIndexRecord | undefined,
  policy: VectorIndexPolicy = DEFAULT_VECTOR_INDEX_POLICY,
): VectorIndexAction {
  if (hasIndex) {
    if (rows < policy.minRows / 2) return { kind: 'drop' };
    // An index recorded as another kind (an older gitctx's) is replaced by this kind.
    if (record === undefined || record.kind !== VECTOR_INDEX_KIND || rows >= record.trained_rows * RETRAIN_GROWTH) {
      return { kind: 'train', partitions: partitionsFor(rows, policy.rowsPerPartition) };
    }
    return { kind: 'update' };
  }
  return rows >= policy.minRows ? { kind: 'train', partitions: partitionsFor(rows, policy.rowsPerPartition) } : { kind: 'none' };
}
