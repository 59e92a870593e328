/**
 * The LanceDB store, loaded when first asked for: the engine takes about a quarter of a
 * second to load, which `status`, the settings commands and the search pipeline's own
 * code need not pay.
 */
import type { IndexStore } from './index-store.js';
import type { IndexLocation } from './location.js';
import type { VectorStore } from './vector-store.js';

/** The LanceDB store class (for the indexer, which writes; searches open a VectorStore). */
export async function loadIndexStore(): Promise<typeof IndexStore> {
  return (await import('./index-store.js')).IndexStore;
}

/**
 * The index in `dbDir` for searching, as its last complete run committed it; undefined when
 * there is none. NoIndexError (exit 8) when its database cannot be read.
 */
export async function openVectorStore(dbDir: IndexLocation): Promise<VectorStore | undefined> {
  return (await loadIndexStore()).openForRead(dbDir);
}
