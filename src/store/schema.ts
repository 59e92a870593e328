import type * as Arrow from 'apache-arrow';
import { arrow } from './arrow.js';

const { Bool, Field, FixedSizeList, Float32, Int32, makeData, RecordBatch, Schema, Struct, Table, Utf8, vectorFromArray } = arrow;

export { CHUNKS_TABLE, SCHEMA_VERSION } from './meta.js';

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

/** Query vectors of API models, so a repeated query costs no request; keyed by a hash of model and text. */
export function queryCacheSchema(dims: number): Arrow.Schema {
  return new Schema([
    new Field('key', new Utf8(), false),
    new Field('model', new Utf8(), false),
    new Field('text', new Utf8(), false),
    new Field('vector', new FixedSizeList(dims, new Field('item', new Float32(), true)), false),
  ]);
}

export function chunksSchema(dims: number): Arrow.Schema {
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

/**
 * The rows as one Arrow record batch, built column by column: the vectors go in as one
 * contiguous Float32Array. Handing LanceDB plain objects instead makes it infer and
 * convert each value, which costs several times the memory of the data itself.
 */
export function rowsToArrow(rows: readonly ChunkRow[], dims: number): Arrow.Table {
  const schema = chunksSchema(dims);
  const n = rows.length;
  const flat = new Float32Array(n * dims);
  rows.forEach((row, i) => flat.set(row.vector, i * dims));
  const vectorType = schema.fields[1]!.type as Arrow.FixedSizeList<Arrow.Float32>;
  const vectors = makeData({
    type: vectorType,
    length: n,
    nullCount: 0,
    child: makeData({ type: new Float32(), length: n * dims, nullCount: 0, data: flat }),
  });
  const text = (pick: (row: ChunkRow) => string | null) => vectorFromArray(rows.map(pick), new Utf8()).data[0]!;
  const int = (pick: (row: ChunkRow) => number) => makeData({ type: new Int32(), length: n, nullCount: 0, data: Int32Array.from(rows, pick) });
  const bool = (pick: (row: ChunkRow) => boolean) => vectorFromArray(rows.map(pick), new Bool()).data[0]!;
  const children = [
    text((r) => r.file_id),
    vectors,
    text((r) => r.content),
    text((r) => r.search_text),
    text((r) => r.path),
    text((r) => r.language),
    int((r) => r.start_line),
    int((r) => r.end_line),
    text((r) => r.blob_sha),
    int((r) => r.chunk_index),
    text((r) => r.commit_sha),
    text((r) => r.author),
    text((r) => r.date),
    text((r) => r.message),
    bool((r) => r.is_head),
    bool((r) => r.uncommitted),
    text((r) => r.model),
  ];
  const batch = new RecordBatch(schema, makeData({ type: new Struct(schema.fields), length: n, nullCount: 0, children }));
  return new Table(schema, [batch]);
}
