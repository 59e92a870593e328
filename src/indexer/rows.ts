import type { Chunk } from '../chunk/index.js';
import type { ChunkRow } from '../store/schema.js';
import { searchTextOf } from '../store/search-text.js';
import type { WantedFile } from './plan.js';

/** The table rows of one file version: one per chunk, vectors exactly as cached. */
export function rowsOf(file: WantedFile, language: string, chunks: readonly Chunk[], vectors: readonly Float32Array[], model: string): ChunkRow[] {
  return chunks.map((chunk, i) => ({
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
  }));
}
