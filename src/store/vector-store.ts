/**
 * `VectorStore`: what a search needs from an index, and all it may assume. Candidates by
 * vector and by text (each already filtered, best first), the paths a path filter is
 * matched against, what the index was built with, a cache of query vectors, and closing.
 * IndexStore (LanceDB) implements it; test/helpers/memory-vector-store.ts is its in-memory
 * fake for tests of the search pipeline.
 */
import type { IndexIdentity } from './meta.js';

/** A chunk found by a search, with its score in the search's own units. */
export interface StoredChunk {
  path: string;
  startLine: number;
  endLine: number;
  chunkIndex: number;
  language: string;
  blobSha: string;
  isHead: boolean;
  uncommitted: boolean;
  content: string;
  commit: { sha: string; author: string; date: string; message: string } | null;
  score: number;
}

/**
 * Which chunks a search may return: applied inside the store's query, so any chunk that passes
 * can come back, not only those among the top candidates. Every part given must hold.
 */
export interface ChunkFilter {
  /** Only file versions at HEAD (or in the work tree). */
  headOnly?: boolean;
  /** Only chunks of this language id, as stored (lower case). */
  language?: string;
  /** Only these paths, or every path but these; never an empty list. */
  paths?: { only: readonly string[] } | { except: readonly string[] };
}

export interface CandidateQuery {
  limit: number;
  filter?: ChunkFilter;
}

export interface VectorStore {
  /** What the index was built with; a search refuses an index built with another model. Undefined when not recorded. */
  readonly builtWith: Pick<IndexIdentity, 'model' | 'dims'> | undefined;
  /**
   * Whether `other` reads the same data as this store. An index run that commits replaces what a
   * store opened before it reads; a searcher whose search failed reopens, and keeps the new store
   * only when it differs.
   */
  sameDataAs(other: VectorStore): Promise<boolean>;
  /** Every distinct path in the index, sorted: what path filters are matched against. */
  distinctPaths(): Promise<string[]>;
  /**
   * The `limit` nearest chunks by cosine similarity that pass the filter, best first; `score` is
   * the similarity in [-1, 1]. Equal scores come in a fixed order (path, blob, chunk index).
   */
  vectorSearch(vector: Float32Array, options: CandidateQuery): Promise<StoredChunk[]>;
  /**
   * Starts loading what vector searches read (an ANN index) in the background, so that work
   * overlaps embedding the query; a vector search needs no call to it. Errors are left to the search.
   */
  prewarmVectorSearch(): void;
  /**
   * The `limit` best BM25 matches of already-split query terms (`searchTextOf`) that pass the
   * filter, best first; `score` is the BM25 score. Equal scores come in a fixed order.
   */
  textSearch(terms: string, options: CandidateQuery): Promise<StoredChunk[]>;
  /** A query's vector from an earlier search with this model, if any. */
  cachedQueryVector(model: string, text: string): Promise<Float32Array | undefined>;
  /** Remembers a query's vector, so asking again costs an API model no request. */
  cacheQueryVector(model: string, text: string, vector: Float32Array): Promise<void>;
  close(): void;
}
