/**
 * Rows for the store tests: `count` chunks of one file version, each with a distinct vector
 * (its index on the first axis) and text that full-text search can find ("parseConfig").
 */
import type { ChunkRow } from '../../src/store/schema.js';

export function fileChunkRows(model: string, fileId: string, path: string, count: number, isHead = true, dims = 4): ChunkRow[] {
  return Array.from({ length: count }, (_, i) => ({
    file_id: fileId,
    vector: Float32Array.from({ length: dims }, (_, d) => (d === 0 ? i : d === 1 ? 1 : 0)),
    content: `content of ${path} chunk ${i}`,
    search_text: `content of ${path} chunk ${i} parseConfig parse config`,
    path,
    language: 'typescript',
    start_line: i * 10 + 1,
    end_line: i * 10 + 10,
    blob_sha: fileId.padEnd(40, '0'),
    chunk_index: i,
    commit_sha: null,
    author: null,
    date: null,
    message: null,
    is_head: isHead,
    uncommitted: false,
    model,
  }));
}
