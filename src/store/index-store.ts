import { createHash } from 'node:crypto';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { Schema, Table as ArrowTable } from 'apache-arrow';
import * as lancedb from '@lancedb/lancedb';
import type { Connection, Table } from '@lancedb/lancedb';
import { DiskFullError, fromFsError, NoIndexError } from '../errors.js';
import { removeTree } from '../workspace/index.js';
import { connectTo, remoteCall, remoteError } from './connect.js';
import { confirmWriter, describeLocation, isRemote, remoteMessage } from './location.js';
import type { IndexLocation } from './location.js';
import { CHUNKS_TABLE, chunksTableFor, isChunksTableName, queryCacheTableOf, readIndexMeta, sameIdentity, SCHEMA_VERSION, writeIndexMeta } from './meta.js';
import type { IndexIdentity, IndexMeta, RememberedSkip } from './meta.js';
import { cleanupCutoff, DEFAULT_RETENTION, PRUNE_NOTHING } from './retention.js';
import type { RetentionPolicy } from './retention.js';
import { boundWriterMemory } from './native-memory.js';
import { chunksSchema, queryCacheSchema, rowsToArrow } from './schema.js';
import type { ChunkRow } from './schema.js';
import type { CandidateQuery, StoredChunk, VectorStore } from './vector-store.js';
import { whereOf } from './where.js';
import { arrow } from './arrow.js';
import { DEFAULT_VECTOR_INDEX_POLICY, NPROBES, planVectorIndex, refineFactorFor, VECTOR_INDEX_KIND } from './vector-index.js';
import type { VectorIndexPolicy, VectorIndexRecord } from './vector-index.js';
import { DEFAULT_MAINTENANCE_POLICY, deferMaintenance } from './maintenance.js';
import type { MaintenancePolicy, PendingChanges } from './maintenance.js';

/**
 * Rows buffered before one `add`: keeps table versions few and memory bounded. Each
 * batch is held about four times over while it is written (the rows, their Arrow
 * copy, its IPC encoding, LanceDB's own), so it stays small; the compaction at the
 * end of the run joins the fragments, so their number costs searches nothing.
 * At 1 MB rather than 4 MB a rebuild of 5,000 files from the cache peaked at about
 * 270 MB instead of 310-325 MB, in the same time: the native writer's buffers of each
 * add are freed into the C allocator, which keeps the largest it has seen.
 */
export const ADD_BATCH_ROWS = 256;
const ADD_BATCH_BYTES = 1024 * 1024;
/**
 * Training rows per IVF partition (LanceDB's `sampleRate`, default 256): k-means trains on
 * `sampleRate` sampled vectors per partition. With the quantizers used before it also set
 * their sample (`sampleRate × 256` rows, held twice: at the default every vector of a
 * 20,000-file index, 1.1 GB there with IVF_HNSW_SQ). Recall is measured with it in
 * vector-index.ts.
 */
const VECTOR_INDEX_SAMPLE_RATE = 32;
/** The full-text index on `search_text`: words as the search text splits them, stemmed, stop words dropped. */
export function textIndexConfig(): lancedb.Index {
  return lancedb.Index.fts({ withPosition: false, baseTokenizer: 'simple', stem: true, removeStopWords: true });
}

/** The ANN index on the vectors (vector-index.ts says why IVF_RQ, and how many partitions). */
export function vectorIndexConfig(partitions: number): lancedb.Index {
  return lancedb.Index.ivfRq({ distanceType: 'cosine', numPartitions: partitions, sampleRate: VECTOR_INDEX_SAMPLE_RATE });
}

/** Query-cache writes between compactions of that table. */
const QUERY_CACHE_PRUNE_EVERY = 50;
/** Ids per delete predicate: one table version per group. */
const DELETE_BATCH_IDS = 2000;
/**
 * Adds (table versions) between reconnections to the database. A LanceDB connection keeps
 * native memory for every version written through it, and more per version the more
 * fragments the table has, whatever its cache sizes: 1,470 adds of 170 rows took one
 * connection to 832 MB, and to 234 MB when it was reopened every 50 adds (278 every 100).
 */
export const ADDS_PER_CONNECTION = 50;

/** How a writing store prunes, indexes and maintains; the defaults, except in tests that cross the thresholds with small tables. */
export interface WriteOptions {
  retention?: RetentionPolicy;
  vectorIndex?: VectorIndexPolicy;
  maintenance?: MaintenancePolicy;
}

/** One file version present in the index, aggregated from its chunk rows. */
export interface StoredFile {
  fileId: string;
  path: string;
  blobSha: string;
  isHead: boolean;
  uncommitted: boolean;
  commitSha: string | null;
  chunks: number;
}

/** One stored chunk of a blob, with its vector. */
export interface BlobChunk {
  startLine: number;
  endLine: number;
  text: string;
  vector: Float32Array;
}

const RESULT_COLUMNS = [
  'path', 'start_line', 'end_line', 'chunk_index', 'language', 'blob_sha', 'is_head', 'uncommitted',
  'content', 'commit_sha', 'author', 'date', 'message',
] as const;

/**
 * Search results as StoredChunks, read column by column. Arrow's row objects (what
 * `toArray()` returns) resolve every field through a proxy: for a hybrid search's 1,000
 * candidates that took about 25 ms of each `gitctx search`, against a few ms by columns.
 */
function storedChunks(results: ArrowTable, score: (i: number) => number): StoredChunk[] {
  const path = columnOf<string>(results, 'path');
  const startLine = columnOf<number>(results, 'start_line');
  const endLine = columnOf<number>(results, 'end_line');
  const chunkIndex = columnOf<number>(results, 'chunk_index');
  const language = columnOf<string>(results, 'language');
  const blobSha = columnOf<string>(results, 'blob_sha');
  const isHead = columnOf<boolean>(results, 'is_head');
  const uncommitted = columnOf<boolean>(results, 'uncommitted');
  const content = columnOf<string>(results, 'content');
  const commitSha = columnOf<string | null>(results, 'commit_sha');
  const author = columnOf<string | null>(results, 'author');
  const date = columnOf<string | null>(results, 'date');
  const message = columnOf<string | null>(results, 'message');
  return Array.from({ length: results.numRows }, (_, i): StoredChunk => {
    const sha = commitSha[i] ?? null;
    return {
      path: path[i]!,
      startLine: startLine[i]!,
      endLine: endLine[i]!,
      chunkIndex: chunkIndex[i]!,
      language: language[i]!,
      blobSha: blobSha[i]!,
      isHead: isHead[i]!,
      uncommitted: uncommitted[i]!,
      content: content[i]!,
      commit: sha === null ? null : { sha, author: author[i] ?? '', date: date[i] ?? '', message: message[i] ?? '' },
      score: score(i),
    };
  });
}

/** One column of a result table as plain values: a selected one, or `_distance` / `_score`, which LanceDB adds. */
function columnOf<T>(results: ArrowTable, name: (typeof RESULT_COLUMNS)[number] | '_distance' | '_score'): ArrayLike<T> {
  return (results.getChild(name)?.toArray() ?? []) as ArrayLike<T>;
}

const byText = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

/**
 * The best `limit` chunks, equal scores in a fixed order. LanceDB returns equal scores in
 * storage order and cuts a run of them at the limit wherever storage order puts it; two
 * indexes with the same rows (one built at once, one resumed after a kill) store them in
 * different orders, so the same query got different candidates and, once fused, different
 * results. A run of equal scores at the limit is fetched whole, and ties are ordered by the
 * row's identity (path, blob, chunk), so equal indexes answer alike.
 */
async function topWithTies(fetch: (limit: number) => Promise<StoredChunk[]>, limit: number): Promise<StoredChunk[]> {
  let fetched = limit;
  let chunks = await fetch(fetched + 1);
  while (chunks.length > fetched && chunks[fetched]?.score === chunks[limit - 1]?.score) {
    fetched *= 2;
    chunks = await fetch(fetched + 1);
  }
  chunks.sort((a, b) => b.score - a.score || byText(a.path, b.path) || byText(a.blobSha, b.blobSha) || a.chunkIndex - b.chunkIndex);
  return chunks.slice(0, limit);
}


function connectDb(dir: IndexLocation): Promise<Connection> {
  return connectTo(dir);
}

function firstLine(err: unknown, dir?: IndexLocation): string {
  if (dir !== undefined && isRemote(dir)) return remoteMessage(dir, err);
  return (err instanceof Error ? err.message : String(err)).split('\n', 1)[0] ?? '';
}

function queryKey(model: string, text: string): string {
  return createHash('sha256').update(model).update('\0').update(text).digest('hex');
}

const quote = (s: string) => `'${s.replace(/'/g, "''")}'`;

/**
 * LanceDB is native (Rust): its I/O failures reach us as plain Errors whose message
 * carries the OS error, "No space left on device (os error 28)", never as an errno
 * `code`. Matching the message is the only way to tell a full disk from a bug, so it is
 * done here, around LanceDB's writes, and nowhere else. (122 is EDQUOT on Linux.)
 */
const NATIVE_DISK_FULL = /No space left on device|Disk quota exceeded|\(os error (?:28|122)\)/;

/** Runs one LanceDB write, turning a full disk into DiskFullError (exit 7) like every other write. */
async function lanceWrite<T>(dir: IndexLocation, write: () => Promise<T>): Promise<T> {
  try {
    return await write();
  } catch (err) {
    if (isRemote(dir)) throw remoteError(dir, 'writing', err);
    const what = `writing the search index in ${describeLocation(dir)}`;
    if (err instanceof Error && NATIVE_DISK_FULL.test(err.message)) throw new DiskFullError(`disk full: ${what}`, { cause: err });
    throw fromFsError(err, what);
  }
}

/**
 * The local search index: a LanceDB chunks table under `.gitctx/db`, plus meta.json,
 * which names the table searches use. Everything in it can be rebuilt from the
 * embedding cache, so an unreadable database is wiped and rebuilt rather than
 * repaired. An index built another way (model, dims, chunker, schema) is not wiped:
 * its replacement is built in a table of its own beside it, and meta.json moves to
 * the new table only when that run commits, so a failed run leaves the old index
 * answering searches. Searches see it as a VectorStore.
 */
export class IndexStore implements VectorStore {
  private pending: ChunkRow[] = [];
  /** Rough size of `pending`: vectors plus text as UTF-16. */
  private pendingBytes = 0;
  private changed = false;
  /** Known once a read-only store is opened, so each query does not list the indexes again. */
  private textIndexed: boolean | undefined;
  /** Distinct paths in the table, for path filters; read once per read-only store. */
  private paths: Promise<string[]> | undefined;
  /** Whether the vectors have an ANN index; known once a read-only store is opened. */
  private vectorIndexed: boolean | undefined;
  /** The ANN index's name, for prewarming; known once a read-only store is opened. */
  private vectorIndexName: string | undefined;
  /** Set once prewarmVectorSearch has started the load; never awaited (a search loads what it needs anyway). */
  private prewarming: Promise<void> | undefined;
  /** What the vector index was trained on, as the last commit recorded it. */
  private vectorRecord: VectorIndexRecord | undefined;
  /** Changes left for a later maintenance (maintenance.ts), as the last commit recorded them. */
  private pendingChanges: PendingChanges | undefined;
  /**
   * Rows in the table as the last commit left it; undefined for a table no commit has left
   * (a new one, an interrupted run's), which the next commit maintains whatever changed.
   */
  private committedRows: number | undefined;
  /** Rows written since the last commit. */
  private addedRows = 0;
  private readonly retention: RetentionPolicy;
  private readonly vectorPolicy: VectorIndexPolicy;
  private readonly maintenancePolicy: MaintenancePolicy;

  /** Adds since `db` was opened (see ADDS_PER_CONNECTION). */
  private adds = 0;
  /** The last add in flight (see flush). */
  private writing: Promise<void> = Promise.resolve();

  private constructor(
    private db: Connection,
    private table: Table,
    /** `.gitctx/db`, or the index on object storage. */
    readonly dir: IndexLocation,
    readonly previousMeta: IndexMeta | undefined,
    private readonly dims: number,
    /** The LanceDB table this store reads and writes. */
    readonly tableName: string,
    options: WriteOptions = {},
  ) {
    this.retention = options.retention ?? DEFAULT_RETENTION;
    this.vectorPolicy = options.vectorIndex ?? DEFAULT_VECTOR_INDEX_POLICY;
    this.maintenancePolicy = options.maintenance ?? DEFAULT_MAINTENANCE_POLICY;
    if (previousMeta !== undefined && (previousMeta.table ?? CHUNKS_TABLE) === tableName) {
      this.vectorRecord = previousMeta.vector_index;
      this.pendingChanges = previousMeta.pending_changes;
    }
  }

  /**
   * Opens the database for writing. An index built the same way is reopened. One
   * built another way stays in use until this run commits: the new one is built (or
   * an interrupted build of it resumed) in its own table. With no usable index at all
   * (none, no metadata, unreadable) the database is wiped and built afresh.
   */
  static async openForWrite(
    dir: IndexLocation,
    identity: IndexIdentity,
    warn: (message: string) => void,
    options: WriteOptions = {},
  ): Promise<IndexStore> {
    boundWriterMemory();
    const meta = await readIndexMeta(dir);
    const current = meta?.table ?? CHUNKS_TABLE;
    if (meta !== undefined && sameIdentity(meta, identity)) {
      let db: Connection | undefined;
      try {
        db = await connectDb(dir);
        const table = await db.openTable(current);
        const rows = await table.countRows();
        const store = new IndexStore(db, table, dir, meta, identity.dims, current, options);
        // A run stopped between its writes and its commit left the table newer than meta.json says.
        store.changed = meta.table_version !== (await table.version());
        if (!store.changed) store.committedRows = rows;
        return store;
      } catch (err) {
        db?.close();
        warn(`index database unreadable (${firstLine(err, dir)}); rebuilding it from the cache`);
        return IndexStore.buildAfresh(dir, identity, options);
      }
    }
    if (meta !== undefined && (await tableExists(dir, current))) {
      warn(
        `index was built with ${meta.model} (${meta.dims} dims); building one for ${identity.model} from the cache ` +
          '(searches use the old one until it is done)',
      );
      return IndexStore.openReplacement(dir, identity, options);
    }
    return IndexStore.buildAfresh(dir, identity, options);
  }

  /** No index worth keeping: wipe, create, and record the identity first, so a killed first run still leaves one to resume. */
  private static async buildAfresh(dir: IndexLocation, identity: IndexIdentity, options: WriteOptions): Promise<IndexStore> {
    await wipe(dir);
    const db = await connectDb(dir);
    const table = await lanceWrite(dir, () => db.createEmptyTable(CHUNKS_TABLE, chunksSchema(identity.dims)));
    const fresh: IndexMeta = { schema_version: SCHEMA_VERSION, ...identity, indexed_commit: null, updated_at: new Date().toISOString() };
    await writeIndexMeta(dir, fresh);
    return new IndexStore(db, table, dir, undefined, identity.dims, CHUNKS_TABLE, options);
  }

  /**
   * The table a new identity is built in, beside the index in use. Its name is derived
   * from the identity, so a run that failed or was killed leaves rows the next run with
   * the same settings picks up; anything unusable there is dropped and started again.
   */
  private static async openReplacement(dir: IndexLocation, identity: IndexIdentity, options: WriteOptions): Promise<IndexStore> {
    const name = chunksTableFor(identity);
    const db = await connectDb(dir);
    try {
      let table: Table | undefined;
      if ((await db.tableNames()).includes(name)) {
        try {
          table = await db.openTable(name);
          if (vectorSize(await table.schema()) !== identity.dims) throw new Error('vectors of another size');
          await table.countRows();
        } catch {
          // Derived data of an interrupted run: whatever is wrong with it, starting again costs no API call.
          table?.close();
          table = undefined;
          await dropTable(db, dir, name);
        }
      }
      table ??= await lanceWrite(dir, () => db.createEmptyTable(name, chunksSchema(identity.dims)));
      const store = new IndexStore(db, table, dir, undefined, identity.dims, name, options);
      // Rows may be in from an interrupted run, never with their full-text index.
      store.changed = true;
      return store;
    } catch (err) {
      db.close();
      throw err;
    }
  }

  /**
   * Opens an existing database without changing anything (dry runs, search, status);
   * undefined when there is none, or it was built another way.
   */
  static async openForRead(dir: IndexLocation, identity?: IndexIdentity): Promise<IndexStore | undefined> {
    const meta = await readIndexMeta(dir);
    if (meta === undefined || (identity !== undefined && !sameIdentity(meta, identity))) return undefined;
    const name = meta.table ?? CHUNKS_TABLE;
    const db = await connectDb(dir);
    try {
      if (!(await db.tableNames()).includes(name)) {
        db.close();
        return undefined;
      }
      const table = await db.openTable(name);
      // The version the last complete run committed: a run in progress writes newer ones
      // (rows removed, rows not yet added, no full-text index over them yet) that a search must not see.
      if (meta.table_version !== undefined && meta.table_version !== (await table.version())) {
        await table.checkout(meta.table_version).catch(async () => {
          // Pruned: either a run named a newer version in meta.json after it was read (that one
          // is wanted), or a run stopped before rewriting meta.json (the newest is all there is).
          const named = (await readIndexMeta(dir))?.table_version;
          if (named !== undefined && named !== meta.table_version) await table.checkout(named).catch(() => undefined);
        });
      }
      const store = new IndexStore(db, table, dir, meta, meta.dims, name);
      const indexes = await table.listIndices();
      store.textIndexed = indexes.some((index) => index.columns.includes('search_text'));
      store.vectorIndexName = indexes.find((index) => index.columns.includes('vector'))?.name;
      store.vectorIndexed = store.vectorIndexName !== undefined;
      return store;
    } catch (err) {
      db.close();
      if (isRemote(dir)) throw remoteError(dir, 'reading', err);
      // The database is derived data: the cure for any damage is the same, and costs no API call.
      throw new NoIndexError(`index database unreadable (${firstLine(err)}): run \`gitctx index\` to rebuild it from the cache`, {
        cause: err,
      });
    }
  }

  get builtWith(): IndexMeta | undefined {
    return this.previousMeta;
  }

  /** Same table at the same version. */
  async sameDataAs(other: VectorStore): Promise<boolean> {
    return other instanceof IndexStore && this.tableName === other.tableName && (await this.version()) === (await other.version());
  }

  /** The table version this store reads (a read-only store stays on the version it opened). */
  async version(): Promise<number> {
    return this.table.version();
  }

  /**
   * Every file version in the index, by file id. The rows are read batch by batch and
   * folded into one entry per file as they come: a table of a million chunks never
   * stands in memory as a million row objects.
   */
  async storedFiles(): Promise<Map<string, StoredFile>> {
    const files = new Map<string, StoredFile>();
    const query = this.table.query().select(['file_id', 'path', 'blob_sha', 'is_head', 'uncommitted', 'commit_sha']);
    for await (const batch of query) {
      const column = <T>(name: string) => batch.getChild(name) as { get(i: number): T } | null;
      const [fileId, path, blobSha, isHead, uncommitted, commitSha] = [
        column<string>('file_id'), column<string>('path'), column<string>('blob_sha'),
        column<boolean>('is_head'), column<boolean>('uncommitted'), column<string | null>('commit_sha'),
      ];
      if (!fileId || !path || !blobSha || !isHead || !uncommitted || !commitSha) throw new Error('chunks table lacks a column of its schema');
      for (let i = 0; i < batch.numRows; i++) {
        const id = fileId.get(i);
        const existing = files.get(id);
        if (existing) {
          existing.chunks += 1;
          continue;
        }
        files.set(id, {
          fileId: id,
          path: path.get(i),
          blobSha: blobSha.get(i),
          isHead: isHead.get(i),
          uncommitted: uncommitted.get(i),
          commitSha: commitSha.get(i),
          chunks: 1,
        });
      }
    }
    return files;
  }

  /**
   * The chunks stored for a blob (under any of its paths), with their vectors exactly
   * as stored: what `cache verify --repair` rewrites a damaged cache file from.
   */
  async chunksOfBlob(blobSha: string): Promise<BlobChunk[]> {
    const rows = (await this.table
      .query()
      .where(`blob_sha = ${quote(blobSha)}`)
      .select(['start_line', 'end_line', 'content', 'vector'])
      .toArray()) as (Pick<ChunkRow, 'start_line' | 'end_line' | 'content'> & { vector: Iterable<number> })[];
    return rows.map((row) => ({ startLine: row.start_line, endLine: row.end_line, text: row.content, vector: Float32Array.from(row.vector) }));
  }

  async removeFiles(fileIds: readonly string[]): Promise<void> {
    for (let i = 0; i < fileIds.length; i += DELETE_BATCH_IDS) {
      const group = fileIds.slice(i, i + DELETE_BATCH_IDS);
      await confirmWriter(this.dir);
      await lanceWrite(this.dir, () => this.table.delete(`file_id IN (${group.map(quote).join(', ')})`));
      this.changed = true;
    }
  }

  /**
   * Buffers rows; they reach the table in batches bounded in rows and bytes, so
   * one file of many chunks is written in pieces (each batch is copied into Arrow
   * and again into LanceDB, so an unbounded batch costs several times its size).
   */
  async add(rows: Iterable<ChunkRow>): Promise<void> {
    for (const row of rows) {
      this.pending.push(row);
      this.pendingBytes += row.vector.byteLength + 2 * (row.content.length + row.search_text.length);
      if (this.pending.length >= ADD_BATCH_ROWS || this.pendingBytes >= ADD_BATCH_BYTES) await this.flush();
    }
  }

  /**
   * Writes the buffered rows. Several files finish at once while a batch is embedded, so adds
   * can overlap: they are chained, so a reconnection never closes the table under another add,
   * and a flush with nothing buffered still waits for the write in flight (commit relies on it).
   */
  async flush(): Promise<void> {
    if (this.pending.length === 0) return this.writing;
    const rows = this.pending;
    this.pending = [];
    this.pendingBytes = 0;
    const write = this.writing.then(() => this.write(rows));
    // A failed write fails its own caller; the chain goes on.
    this.writing = write.catch(() => undefined);
    return write;
  }

  private async write(rows: readonly ChunkRow[]): Promise<void> {
    await confirmWriter(this.dir);
    await lanceWrite(this.dir, () => this.table.add(rowsToArrow(rows, this.dims)));
    this.changed = true;
    this.addedRows += rows.length;
    if (++this.adds >= ADDS_PER_CONNECTION) await this.reconnect();
  }

  /** A new connection to the same table, so the old one's native memory is freed (see ADDS_PER_CONNECTION). */
  private async reconnect(): Promise<void> {
    this.table.close();
    this.db.close();
    this.adds = 0;
    this.db = await connectDb(this.dir);
    this.table = isRemote(this.dir)
      ? await remoteCall(this.dir, 'opening', () => this.db.openTable(this.tableName))
      : await this.db.openTable(this.tableName);
  }

  /**
   * Makes the run durable: remaining rows, then, when the table changed, its maintenance:
   * compaction, pruning of old table versions (so the directory does not grow run after
   * run), the full-text index and the vector index; then meta.json, whose atomic rewrite
   * is the moment searches move to this table. Only then are other tables (the index this
   * one replaces, an abandoned build) dropped. A run whose changes are small against a large
   * table leaves the maintenance to a later run (maintenance.ts): searches scan its rows flat.
   */
  async commit(meta: Omit<IndexMeta, 'schema_version' | 'updated_at' | 'table_version' | 'table' | 'vector_index' | 'pending_changes'>): Promise<void> {
    await this.flush();
    // A shared index's writer checks its lease before compaction and pruning, which no lapsed writer may do.
    await confirmWriter(this.dir);
    if (this.changed || !(await this.hasTextIndex())) {
      if (!(await this.leaveMaintenanceForLater())) await this.maintain();
    }
    const table_version = await this.table.version();
    await writeIndexMeta(this.dir, {
      schema_version: SCHEMA_VERSION,
      ...meta,
      table_version,
      ...(this.tableName !== CHUNKS_TABLE ? { table: this.tableName } : {}),
      ...(this.vectorRecord !== undefined ? { vector_index: this.vectorRecord } : {}),
      ...(this.pendingChanges !== undefined ? { pending_changes: this.pendingChanges } : {}),
      updated_at: new Date().toISOString(),
    });
    this.changed = false;
    this.addedRows = 0;
    await this.dropOtherTables();
  }

  /**
   * Compaction, pruning of old versions, the full-text index rebuilt whole and the vector index
   * trained, fed or dropped: everything a changed table needs for searches to read it through
   * its indexes alone.
   */
  private async maintain(): Promise<void> {
    this.pendingChanges = undefined;
    // The full-text index is rebuilt whole below, so the old one goes first: compacting
    // under it would rewrite (remap) it in memory only to replace it, the peak of the run.
    await this.dropTextIndex();
    // Compaction, then pruning in a call of its own, so the cut moves only by that call's own
    // start-up latency, which the retention margin covers (see retention.ts).
    await lanceWrite(this.dir, () => this.table.optimize({ cleanupOlderThan: PRUNE_NOTHING }));
    // Versions that searches may still be reading stay (see retention.ts). Locally no other
    // writer runs (the index lock), so files no version references are leftovers of a killed run.
    // On shared storage a writer whose lease lapsed could be deleting a successor's new files, so
    // unreferenced files there are left to LanceDB's own age rule.
    const committed = (this.previousMeta?.table ?? CHUNKS_TABLE) === this.tableName ? this.previousMeta?.table_version : undefined;
    const cleanupOlderThan = cleanupCutoff(await this.table.listVersions(), new Date(), this.retention, committed);
    const deleteUnverified = !isRemote(this.dir);
    await lanceWrite(this.dir, () => this.table.optimize({ cleanupOlderThan, deleteUnverified }));
    const rows = await this.table.countRows();
    if (rows > 0) {
      await lanceWrite(this.dir, () =>
        this.table.createIndex('search_text', {
          config: textIndexConfig(),
          replace: true,
        }),
      );
    }
    // After compaction, which would otherwise remap a just-built vector index in memory;
    // the compaction above already fed new rows to an index that is kept.
    await this.maintainVectorIndex(rows);
    this.committedRows = rows;
  }

  /**
   * Whether this run's changes may wait for a later run's maintenance (maintenance.ts), counting
   * them into pendingChanges if so. Only a table opened as the last commit left it, whose
   * indexes are all in place and whose vector index needs no new training. Never a shared
   * index: every reader would scan the pending rows over the network, on every search.
   */
  private async leaveMaintenanceForLater(): Promise<boolean> {
    if (this.committedRows === undefined || isRemote(this.dir)) return false;
    const rows = await this.table.countRows();
    const indexed = await this.indexedColumns();
    if (!indexed.has('search_text')) return false;
    const vectorPlan = planVectorIndex(rows, indexed.has('vector'), this.vectorRecord, this.vectorPolicy).kind;
    if (vectorPlan !== (indexed.has('vector') ? 'update' : 'none')) return false;
    const deleted = this.committedRows + this.addedRows - rows;
    const pending = deferMaintenance(rows, this.addedRows + deleted, this.pendingChanges, this.maintenancePolicy);
    if (pending === undefined) return false;
    this.pendingChanges = pending;
    this.committedRows = rows;
    return true;
  }

  /**
   * Tables other than this one and its query cache: a replaced index, or a build given up.
   * Only index tables: a shared index keeps its meta and writer lock beside them.
   */
  private async dropOtherTables(): Promise<void> {
    await confirmWriter(this.dir);
    const keep = new Set([this.tableName, queryCacheTableOf(this.tableName)]);
    for (const name of await this.db.tableNames()) {
      if (!keep.has(name) && isIndexTable(name)) await dropTable(this.db, this.dir, name);
    }
  }

  /** Drops the full-text index (a search keeps reading it at the version meta.json names). */
  private async dropTextIndex(): Promise<void> {
    for (const index of await this.table.listIndices()) {
      if (index.columns.includes('search_text')) await lanceWrite(this.dir, () => this.table.dropIndex(index.name));
    }
  }

  private async hasTextIndex(): Promise<boolean> {
    return (await this.indexedColumns()).has('search_text');
  }

  /** The columns that have an index (the vectors, the search text). */
  private async indexedColumns(): Promise<Set<string>> {
    return new Set((await this.table.listIndices()).flatMap((index) => index.columns));
  }

  /**
   * Trains, keeps or drops the ANN index on the vectors as vector-index.ts decides. Runs after
   * commit()'s optimize(), which has already fed this run's rows to a kept index and remapped
   * it past the compaction, so a freshly trained one is never rewritten in memory.
   */
  private async maintainVectorIndex(rows: number): Promise<void> {
    const indexes = await this.table.listIndices();
    const existing = indexes.find((index) => index.columns.includes('vector'));
    const action = planVectorIndex(rows, existing !== undefined, this.vectorRecord, this.vectorPolicy);
    if (action.kind === 'train') {
      await lanceWrite(this.dir, () =>
        this.table.createIndex('vector', {
          config: vectorIndexConfig(action.partitions),
          replace: true,
        }),
      );
      this.vectorRecord = { kind: VECTOR_INDEX_KIND, trained_rows: rows, partitions: action.partitions };
    } else if (action.kind === 'drop' && existing !== undefined) {
      await lanceWrite(this.dir, () => this.table.dropIndex(existing.name));
      this.vectorRecord = undefined;
    } else if (action.kind === 'none') {
      this.vectorRecord = undefined;
    }
  }

  /** Whether searches of this store go through an ANN index (`status` shows it). */
  async hasVectorIndex(): Promise<boolean> {
    return this.vectorIndexed ?? (await this.indexedColumns()).has('vector');
  }

  /** Every distinct path in the table, sorted (path filters are matched against these). */
  async distinctPaths(): Promise<string[]> {
    this.paths ??= (async () => {
      const rows = (await this.table.query().select(['path']).toArray()) as Pick<ChunkRow, 'path'>[];
      return [...new Set(rows.map((row) => row.path))].sort();
    })();
    return this.paths;
  }

  /**
   * Nearest chunks by cosine similarity, best first; `score` is the similarity in [-1, 1].
   * Through the ANN index when the table has one (filters still apply before the search,
   * and the top is re-ranked with full vectors, so scores are exact cosines); `exact`
   * scans every vector instead (the bench's ground truth).
   */
  async vectorSearch(vector: Float32Array, options: CandidateQuery, how: { exact?: boolean } = {}): Promise<StoredChunk[]> {
    const where = whereOf(options.filter);
    const indexed = how.exact !== true && (await this.hasVectorIndex());
    const search = async (limit: number, useIndex: boolean) => {
      let query = this.table.vectorSearch(vector).distanceType('cosine').select([...RESULT_COLUMNS, '_distance']).limit(limit);
      // nprobes sets the maximum as well as the minimum: with a higher maximum LanceDB 0.37
      // searched every partition even when the first ones held plenty of rows.
      if (useIndex) query = query.nprobes(NPROBES).refineFactor(refineFactorFor(limit));
      else query = query.bypassVectorIndex();
      if (where) query = query.where(where);
      const results = await query.toArrow();
      const distance = columnOf<number>(results, '_distance');
      return storedChunks(results, (i) => 1 - distance[i]!);
    };
    return topWithTies(async (limit) => {
      const found = await search(limit, indexed);
      // Short of `limit` through the index means the filter passes fewer rows than the probed
      // partitions hold: a narrow filter, whose matches an exact scan finds all of, reading only theirs.
      return indexed && where !== undefined && found.length < limit ? search(limit, false) : found;
    }, options.limit);
  }

  /**
   * Loads the ANN index whole, on LanceDB's threads, while the caller embeds the query. A first
   * query loads only the partitions it probes, one by one, and that took longer than loading them
   * all at once: on a million 512-dimension rows the first search of a process took 874 ms,
   * against 256 ms to prewarm and 89 ms to search (at a 53 MB higher peak).
   */
  prewarmVectorSearch(): void {
    if (this.vectorIndexName === undefined || this.prewarming !== undefined) return;
    this.prewarming = this.table.prewarmIndex(this.vectorIndexName).catch(() => undefined);
  }

  /** Best BM25 matches of already-split query terms over `search_text`; `score` is the BM25 score. */
  async textSearch(terms: string, options: CandidateQuery): Promise<StoredChunk[]> {
    if (terms.trim() === '' || !(this.textIndexed ?? (await this.hasTextIndex()))) return [];
    const where = whereOf(options.filter);
    return topWithTies(async (limit) => {
      let query = this.table.query().fullTextSearch(terms, { columns: ['search_text'] }).select([...RESULT_COLUMNS, '_score']).limit(limit);
      if (where) query = query.where(where);
      const results = await query.toArrow();
      const bm25 = columnOf<number>(results, '_score');
      return storedChunks(results, (i) => bm25[i]!);
    }, options.limit);
  }

  /** A query's vector from an earlier search with this model, if any. */
  async cachedQueryVector(model: string, text: string): Promise<Float32Array | undefined> {
    // A shared index is never written by searches, so it holds no query cache to read.
    if (isRemote(this.dir)) return undefined;
    const name = queryCacheTableOf(this.tableName);
    if (!(await this.db.tableNames()).includes(name)) return undefined;
    const table = await this.db.openTable(name);
    try {
      const [row] = (await table.query().where(`key = ${quote(queryKey(model, text))}`).select(['vector']).limit(1).toArray()) as {
        vector: ArrayLike<number>;
      }[];
      if (row === undefined || row.vector.length !== this.dims) return undefined;
      return Float32Array.from(row.vector);
    } finally {
      table.close();
    }
  }

  /** Remembers a query's vector; old versions of this small table are pruned when it has grown. */
  async cacheQueryVector(model: string, text: string, vector: Float32Array): Promise<void> {
    // Clients of a shared index only read it: one writer at a time, and that is `gitctx index`.
    if (isRemote(this.dir)) return;
    const name = queryCacheTableOf(this.tableName);
    const table = (await this.db.tableNames()).includes(name)
      ? await this.db.openTable(name)
      : await this.db.createEmptyTable(name, queryCacheSchema(this.dims), { existOk: true });
    try {
      await table.add([{ key: queryKey(model, text), model, text, vector: Array.from(vector) }]);
      if ((await table.version()) % QUERY_CACHE_PRUNE_EVERY === 0) {
        await table.optimize({ cleanupOlderThan: new Date(Date.now() - 60_000) });
      }
    } finally {
      table.close();
    }
  }

  async countRows(): Promise<number> {
    return this.table.countRows();
  }

  async versionCount(): Promise<number> {
    return (await this.table.listVersions()).length;
  }

  close(): void {
    this.table.close();
    this.db.close();
  }
}

async function tableExists(dir: IndexLocation, name: string): Promise<boolean> {
  const db = await connectDb(dir);
  try {
    return (await db.tableNames()).includes(name);
  } finally {
    db.close();
  }
}

/** Drops a table LanceDB may no longer be able to open; its directory goes either way. */
async function dropTable(db: Connection, dir: IndexLocation, name: string): Promise<void> {
  try {
    await db.dropTable(name);
  } catch (err) {
    if (isRemote(dir)) throw remoteError(dir, 'dropping a table of', err);
    // Too damaged for LanceDB to drop: remove what is left of it ourselves.
    await removeTree(join(dir, `${name}.lance`));
  }
}

/** A table gitctx builds for searching (chunks, or a query cache), which a rebuild may drop. */
function isIndexTable(name: string): boolean {
  return isChunksTableName(name) || /^query_cache(-[0-9a-f]{16})?$/.test(name);
}

function vectorSize(schema: Schema): number | undefined {
  const type = schema.fields.find((field) => field.name === 'vector')?.type;
  // LanceDB may carry its own copy of apache-arrow, so no instanceof.
  return type !== undefined && arrow.DataType.isFixedSizeList(type) ? type.listSize : undefined;
}

/**
 * Removes the database (never following a link: lstat decides) and makes an empty one. On
 * object storage only gitctx's index tables go: the writer lock held by this run stays, and
 * meta is rewritten next.
 */
async function wipe(dir: IndexLocation): Promise<void> {
  if (isRemote(dir)) {
    await confirmWriter(dir);
    const db = await connectDb(dir);
    try {
      for (const name of await db.tableNames()) if (isIndexTable(name)) await dropTable(db, dir, name);
    } finally {
      db.close();
    }
    return;
  }
  await removeTree(dir);
  try {
    await mkdir(dir, { recursive: true });
  } catch (err) {
    throw fromFsError(err, dir);
  }
}

export { readIndexMeta };
export type { IndexIdentity, IndexMeta, RememberedSkip };
