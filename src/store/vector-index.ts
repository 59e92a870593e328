/**
 * When the chunks table gets an approximate-nearest-neighbour (ANN) index on its
 * vectors, when that index is trained again, and how searches probe it. Pure: the
 * store asks these functions and does what they say.
 *
 * Below a size a flat scan of every vector is fast and exact, and an index would only
 * cost build time and recall; past it the scan grows with the table while an IVF
 * search reads a few partitions. The index is IVF_RQ with cosine distance: k-means
 * partitions pick where to look, RaBitQ codes (one bit per dimension, with a correction
 * factor per row) rank the rows of the probed partitions, and the best few hundred
 * (refineFactorFor) are re-ranked with their full vectors, so the scores searches see are
 * exact cosines and the order of the top is exact too.
 *
 * Chosen for what it costs to build (a cold run or a rebuild past the threshold pays it, and an
 * incremental run once the table has doubled since the last training), against
 * IVF_PQ (one byte per 16 dimensions) and IVF_HNSW_SQ (a graph plus a byte per dimension)
 * before it. Measured on the same tables, each build alone:
 * - 1,000,000 rows × 512 dims: built in 11 s at a 370 MB peak (IVF_PQ about 2 minutes and
 *   649 MB, IVF_HNSW_SQ about 25 minutes); index 78 MB (37, 650); query p50 12 ms against 24
 *   (HNSW 16 warm, but 1.4-10 s for the first query of a process); Recall@10 vs exact 1.000,
 *   0.980 with a 1-in-10 filter (IVF_PQ 1.000, 0.983).
 * - 82,949 local-v2 chunks (1,024 dims, a 20,000-file repository): built in 2.2 s at 385 MB
 *   against 76 s and 942 MB for IVF_PQ, which had made it the peak of a cold index run
 *   (1.37 GB); Recall@10 1.000 against 0.993 on questions and perturbed rows.
 */

/**
 * The chunk count from which a table gets an ANN index. In process the lines cross early
 * (`npm run bench -- ann`, 512 dims: at 10k rows an exact scan's median query took 31 ms, an
 * IVF_RQ one 5.7 ms, Recall@10 1.000, 0.997 with a 1-in-10 filter), but what decided it is the
 * whole `gitctx search` process, which reads every vector of an exact scan into fresh memory
 * (`npm run bench -- process`, 1,024-dim local-v2 chunks): hybrid search took 1,016 ms at 10k
 * chunks scanned and 873 ms through the index, 1,492 against 990 ms at 40k. It was 50k, chosen
 * on in-process timings alone. Training at 10k rows takes under a second.
 */
export const VECTOR_INDEX_MIN_ROWS = 10_000;

/**
 * Retrain once the table holds this many times the rows the index was trained on. New rows
 * are added to the existing partitions by optimize(); the centroids stay those of the old
 * data, and recall slowly degrades as the table outgrows them.
 */
export const RETRAIN_GROWTH = 2;

/**
 * Partitions probed per query, exactly: set as both LanceDB's minimum and maximum, because with
 * a higher maximum LanceDB 0.37 searched every partition, whatever the first ones held (measured
 * at 1M rows: all 122 partitions, 107 ms a query against 24 ms for 20 with IVF_PQ). With IVF_RQ
 * at 1M rows (122 partitions) 20 probes found 0.947 of the exact top 10 whatever the re-ranking,
 * 40 found 1.000 at a p50 of 11-13 ms. A filtered search that comes back short through the
 * index is answered by an exact scan instead (IndexStore.vectorSearch), so a narrow filter
 * still finds every row it passes.
 */
export const NPROBES = 40;

/**
 * Rows per partition: a query reads the codes of every row in the partitions it probes, so
 * partitions of a few thousand rows keep that read small while k-means stays cheap to train.
 */
export const ROWS_PER_PARTITION = 8192;

/**
 * Candidates re-ranked with full vectors, at least (see module comment). Quantised codes only
 * roughly order the rows: with IVF_PQ at 100k rows a top 10 re-ranked from 50 candidates
 * found 0.89 of the exact top 10, from 100 0.96, from 200 0.98. A large limit re-ranks twice
 * its own rows (the hybrid path's pool of 500: 1,000), since re-ranking only itself kept 0.63
 * of the exact 500. IVF_RQ's codes rank well enough that 200 and 1,000 gave the same top 10.
 */
export const REFINE_MIN_CANDIDATES = 200;

/** The refine factor (a multiple of `limit`) for a query of `limit` rows: at least two. */
export function refineFactorFor(limit: number): number {
  return Math.max(2, Math.ceil(REFINE_MIN_CANDIDATES / limit));
}

export const VECTOR_INDEX_KIND = 'ivf_rq';

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
