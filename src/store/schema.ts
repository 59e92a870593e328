import { Bool, Field, FixedSizeList, Float32, Int32, Schema, Utf8 } from 'apache-arrow';

/** Bumped whenever the table layout changes; an index of another version is rebuilt from the cache. */
export const SCHEMA_VERSION = 1;

export const CHUNKS_TABLE = 'chunks';

/** One row per chunk of one file version (path + blob). */
export interface ChunkRow {
  /** Hash of path and blob: the unit of incremental add/remove, safe to quote in a filter. */
  file_id: string;
  vector: Float32Array;
  content: string;
  /** What the full-text index sees: content, path and identifiers split into words. */
  search_text: string;
  path: string;
  language: string;
  start_line: number;
  end_line: number;
  blob_sha: string;
  chunk_index: number;
  commit_sha: string | null;
  author: string | null;
  date: string | null;
  message: string | null;
  is_head: boolean;
  uncommitted: boolean;
  model: string;
}

export function chunksSchema(dims: number): Schema {
  const text = (name: string, nullable = false) => new Field(name, new Utf8(), nullable);
  return new Schema([
    text('file_id'),
    new Field('vector', new FixedSizeList(dims, new Field('item', new Float32(), true)), false),
    text('content'),
    text('search_text'),
    text('path'),
    text('language'),
    new Field('start_line', new Int32(), false),
    new Field('end_line', new Int32(), false),
    text('blob_sha'),
    new Field('chunk_index', new Int32(), false),
    text('commit_sha', true),
    text('author', true),
    text('date', true),
    text('message', true),
    new Field('is_head', new Bool(), false),
    new Field('uncommitted', new Bool(), false),
    text('model'),
  ]);
}
