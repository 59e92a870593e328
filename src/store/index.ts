/**
 * The search index: the chunks of every indexed file version, with their vectors and
 * search text, in a LanceDB table under `.gitctx/db`, and meta.json, which names that
 * table and what it was built with (model, dims, chunker). Everything in it is derived
 * from the embedding cache and can be rebuilt from it.
 *
 * Search sees the index only as a `VectorStore` (vector-store.ts): candidates by vector
 * and by text, filters applied inside the query, what it was built with. IndexStore is
 * the LanceDB implementation; the indexer writes through it.
 *
 * Importing this module loads no database engine: the types, meta.json and the text the
 * full-text index sees are light; the LanceDB store is loaded by `openVectorStore` and
 * `loadIndexStore` on first call.
 */
export type { CandidateQuery, ChunkFilter, StoredChunk, VectorStore } from './vector-store.js';
export type { BlobChunk, IndexStore, StoredFile } from './index-store.js';
export { loadIndexStore, openVectorStore } from './open.js';
export { readIndexMeta, SCHEMA_VERSION, type IndexIdentity, type IndexMeta, type RememberedSkip } from './meta.js';
export type { ChunkRow } from './schema.js';
export { DEFAULT_RETENTION, type RetentionPolicy } from './retention.js';
export { searchTextOf } from './search-text.js';
export { describeLocation, isRemote, type IndexLocation, type RemoteIndex } from './location.js';
