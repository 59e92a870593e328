/**
 * `.gitctx/db/meta.json`: what the index was built with and what it holds. Kept apart
 * from the LanceDB code so `status`, and the checks before a search, read it without
 * loading the database engine.
 */
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { readTextIfExists } from '../fs-read.js';
import { writeFileAtomic } from '../workspace/index.js';
import { isRemote } from './location.js';
import type { IndexLocation } from './location.js';
import type { VectorIndexRecord } from './vector-index.js';
import { isPendingChanges } from './maintenance.js';
import type { PendingChanges } from './maintenance.js';

/** Bumped whenever the table layout changes; an index of another version is rebuilt from the cache. */
export const SCHEMA_VERSION = 1;

/** What the index was built with; any difference in the identity part means a rebuild from the cache. */
export interface IndexMeta {
  schema_version: number;
  model: string;
  dims: number;
  chunker: string;
  indexed_commit: string | null;
  updated_at: string;
  /** Files and chunks in the index after the last complete run, so `status` needs no database. */
  files?: number;
  chunks?: number;
  /**
   * File versions the content stage left out, by file id, so no-op runs need not read
   * them again; each with the filter inputs it was decided with (FileFilter.inputsOf),
   * so a change of attributes, settings or filter decides it again. Older versions wrote
   * a bare reason, which is decided again.
   */
  skipped_files?: Record<string, RememberedSkip | string>;
  /** The filter inputs of files without linguist attributes when the indexed files were decided. */
  filter_inputs?: string;
  /** Indexed file versions decided with other inputs than `filter_inputs` (their attributes), by file id. */
  included_inputs?: Record<string, string>;
  /**
   * The table's version when this file was written. A run that changed the table but
   * stopped before its commit (kill -9, Ctrl+C, a full disk) leaves a newer version: its
   * rows are in, but not the full-text index over them, so the next run must redo that
   * even when it has nothing to add, or text search ranks with stale statistics.
   */
  table_version?: number;
  /**
   * The LanceDB table holding the chunks; absent means `chunks`. An index built for a
   * new model (or chunker) goes into a table of its own beside the one searches use,
   * and this field moves to it only when that build has committed.
   */
  table?: string;
  /** The ANN index on the vectors, when the table has one: what it was trained on (vector-index.ts). */
  vector_index?: VectorIndexRecord;
  /**
   * Changes the runs since the last full maintenance (compaction, pruning, index rebuilds) left
   * for a later run, which searches scan flat meanwhile (maintenance.ts). Absent means none.
   */
  pending_changes?: PendingChanges;
}

/** A content-stage skip and the filter inputs it was decided with. */
export interface RememberedSkip {
  reason: string;
  inputs: string;
}

export type IndexIdentity = Pick<IndexMeta, 'model' | 'dims' | 'chunker'>;

const META_FILE = 'meta.json';

/** The index's meta, from `.gitctx/db/meta.json` or, for an index on object storage, from there (LanceDB loaded only then). */
export async function readIndexMeta(dbDir: IndexLocation): Promise<IndexMeta | undefined> {
  const text = isRemote(dbDir)
    ? await (await import('./remote-meta.js')).readRemoteMetaText(dbDir)
    : await readTextIfExists(join(dbDir, META_FILE));
  if (text === undefined) return undefined;
  try {
    const meta = JSON.parse(text) as Partial<IndexMeta>;
    if (typeof meta.model !== 'string' || typeof meta.dims !== 'number' || typeof meta.chunker !== 'string') return undefined;
    // The name becomes a path under db/: only names gitctx itself gives are accepted.
    if (meta.table !== undefined && !isChunksTableName(meta.table)) return undefined;
    // Only a count compared against the table: anything else there means "trained on unknown data" (retrained).
    if (meta.vector_index !== undefined && !isVectorIndexRecord(meta.vector_index)) delete meta.vector_index;
    // Anything else there counts as more than any run may leave: the next run that changes the table maintains it.
    if (meta.pending_changes !== undefined && !isPendingChanges(meta.pending_changes)) meta.pending_changes = { rows: Number.MAX_SAFE_INTEGER, runs: Number.MAX_SAFE_INTEGER };
    return meta as IndexMeta;
  } catch (err) {
    if (err instanceof SyntaxError) return undefined;
    throw err;
  }
}

function isVectorIndexRecord(value: unknown): value is VectorIndexRecord {
  const r = value as Partial<VectorIndexRecord> | null;
  return typeof r === 'object' && r !== null && typeof r.kind === 'string' && Number.isSafeInteger(r.trained_rows) && Number.isSafeInteger(r.partitions);
}

export async function writeIndexMeta(dbDir: IndexLocation, meta: IndexMeta): Promise<void> {
  const text = `${JSON.stringify(meta, null, 2)}\n`;
  if (isRemote(dbDir)) await (await import('./remote-meta.js')).writeRemoteMetaText(dbDir, text);
  else await writeFileAtomic(join(dbDir, META_FILE), text);
}

/** The table an index for this identity is built in while another index is in use. */
export function chunksTableFor(identity: IndexIdentity): string {
  const key = JSON.stringify([SCHEMA_VERSION, identity.model, identity.dims, identity.chunker]);
  return `${CHUNKS_TABLE}-${createHash('sha256').update(key).digest('hex').slice(0, 16)}`;
}

export const CHUNKS_TABLE = 'chunks';

export function isChunksTableName(name: unknown): name is string {
  return typeof name === 'string' && /^chunks(-[0-9a-f]{16})?$/.test(name);
}

/** Each chunks table has its own query-vector cache (its vectors have that index's model and size). */
export function queryCacheTableOf(chunksTable: string): string {
  return chunksTable.replace(/^chunks/, 'query_cache');
}

export function sameIdentity(meta: IndexMeta | undefined, identity: IndexIdentity): boolean {
  return (
    meta !== undefined &&
    meta.schema_version === SCHEMA_VERSION &&
    meta.model === identity.model &&
    meta.dims === identity.dims &&
    meta.chunker === identity.chunker
  );
}
