import type { Chunk } from '../chunk/index.js';
import type { ChunkRow } from '../store/schema.js';
import { searchTextOf } from '../store/search-text.js';
import type { WantedFile } from './plan.js';

/**
 * The table rows of one file version: one per chunk, vectors exactly as cached.
 * Made one at a time as the store takes them, so a file of many chunks never has
 * all its rows (and their search text) in memory at once.
 */
export function* rowsOf(
  file: WantedFile,
  language: string,
  chunks: readonly Chunk[],
  vectors: readonly Float32Array[],
  model: string,
): Generator<ChunkRow, void, undefined> {
  for (const [i, chunk] of chunks.entries()) {
    yield {
      file_id: file.fileId,
      vector: vectors[i] as Float32Array,
      content: chunk.text,
      search_text: searchTextOf(file.path, chunk.text),
      path: file.path,
      language,
      start_line: chunk.startLine,
      end_line: chunk.endLine,
      blob_sha: file.blobSha,
      chunk_index: chunk.index,
      commit_sha: file.commit?.sha ?? null,
      author: file.commit?.author ?? null,
      date: file.commit?.date ?? null,
      message: file.commit?.message ?? null,
      is_head: file.isHead,
      uncommitted: file.uncommitted,
      model,
    };
  }
}
