/** Rows for the store tests. */
import type { ChunkRow } from '../../src/store/schema.js';

/**
 * One chunk of a committed TypeScript file at HEAD, with no history fields: the given fields
 * over those defaults (the text searched is the content, the blob id the file id padded).
 */
export function chunkRow(fields: Pick<ChunkRow, 'file_id' | 'vector' | 'content' | 'path' | 'model'> & Partial<ChunkRow>): ChunkRow {
  return {
    search_text: fields.content,
    language: 'typescript',
    start_line: 1,
    end_line: 2,
    blob_sha: fields.file_id.padEnd(40, '0'),
    chunk_index: 0,
    commit_sha: null,
    author: null,
    date: null,
    message: null,
    is_head: true,
    uncommitted: false,
    ...fields,
  };
}

/** `count` chunks of one file version, each with a distinct vector (its index on the first axis) and text that full-text search can find ("parseConfig"). */
export function fileChunkRows(model: string, fileId: string, path: string, count: number, isHead = true, dims = 4): ChunkRow[] {
  return Array.from({ length: count }, (_, i) =>
    chunkRow({
      file_id: fileId,
      vector: Float32Array.from({ length: dims }, (_, d) => (d === 0 ? i : d === 1 ? 1 : 0)),
      content: `content of ${path} chunk ${i}`,
      search_text: `content of ${path} chunk ${i} parseConfig parse config`,
      path,
      start_line: i * 10 + 1,
      end_line: i * 10 + 10,
      chunk_index: i,
      is_head: isHead,
      model,
    }),
  );
}
