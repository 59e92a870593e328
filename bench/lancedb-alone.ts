/**
 * LanceDB doing, with no gitctx code around it, the least an index run or a search must ask
 * of it: the floor under the figures of index.bench.ts and process.bench.ts. Each mode runs
 * in a process of its own, measured by the parent like a `gitctx` command.
 *
 * - `write <dir> <rows> <dims> <textBytes>`: synthetic rows (random vectors, text of about
 *   `textBytes` drawn from a fixed vocabulary, the search text half as long again) added in
 *   the writer's batches of rows (not also bounded in bytes, as the writer's are: its adds of
 *   1,024-dim rows hold about 160) and its connections, then what a cold run's commit does, in its order:
 *   compaction with pruning, the full-text index, the vector index (past its threshold). The writer's
 *   environment limits apply (native-memory.ts).
 * - `search <dbDir> <words>`: opens the table meta.json names, asks the full-text index for
 *   the words and, with the vector index prewarmed meanwhile, the vector index for a fixed
 *   vector: a candidate pool of each, as a hybrid search does. No model, no settings, no git.
 *
 * The columns fetched are a search's largest (path, lines, content); the rest are small.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as lancedb from '@lancedb/lancedb';
import type { Table as ArrowTable } from 'apache-arrow';
import { arrow } from '../src/store/arrow.js';
import { boundWriterMemory } from '../src/store/native-memory.js';
import { NPROBES, partitionsFor, VECTOR_INDEX_MIN_ROWS } from '../src/store/vector-index.js';
import { prng } from '../test/helpers/cache-data.js';

// LanceDB's own copy of Arrow: its writer recognises only tables built with it.
const { Field, FixedSizeList, Float32, makeData, makeVector, Table, Utf8, vectorFromArray } = arrow;

const POOL = 500;
const COLUMNS = ['path', 'start_line', 'end_line', 'content'];

function rowsBatch(random: () => number, first: number, count: number, dims: number, textBytes: number): ArrowTable {
  const vectors = new Float32Array(count * dims);
  for (let i = 0; i < vectors.length; i++) vectors[i] = random() - 0.5;
  // A Zipf-like draw from 20,000 words, as identifiers and prose are.
  const word = () => `w${Math.floor(random() ** 3 * 20_000).toString(36)}`;
  const text = (bytes: number) => {
    const parts: string[] = [];
    for (let length = 0; length < bytes; length += 6) parts.push(word());
    return parts.join(' ');
  };
  const content = Array.from({ length: count }, () => text(textBytes));
  const item = new Field('item', new Float32(), true);
  const vector = makeVector(makeData({ type: new FixedSizeList(dims, item), length: count, nullCount: 0, child: makeData({ type: new Float32(), length: vectors.length, data: vectors }) }));
  return new Table({
    vector,
    content: vectorFromArray(content, new Utf8()),
    search_text: vectorFromArray(content.map((c) => `${c} ${text(textBytes / 2)}`), new Utf8()),
    path: vectorFromArray(Array.from({ length: count }, (_, i) => `src/file${Math.floor((first + i) / 4)}.ts`), new Utf8()),
    start_line: vectorFromArray(Array.from({ length: count }, (_, i) => (i % 4) * 20 + 1)),
    end_line: vectorFromArray(Array.from({ length: count }, (_, i) => (i % 4) * 20 + 20)),
  });
}

async function write(dir: string, rows: number, dims: number, textBytes: number): Promise<void> {
  // The writer's batch sizes and index settings, imported here only: a search's floor loads none of gitctx's store.
  const { ADD_BATCH_ROWS: ADD_ROWS, ADDS_PER_CONNECTION, textIndexConfig, vectorIndexConfig } = await import('../src/store/index-store.js');
  boundWriterMemory();
  // Fixed seeds: every run writes the same table and asks the same vector.
  const random = prng(1);
  let db = await lancedb.connect(dir);
  let table = await db.createTable('chunks', rowsBatch(random, 0, Math.min(ADD_ROWS, rows), dims, textBytes));
  let adds = 0;
  for (let done = ADD_ROWS; done < rows; done += ADD_ROWS) {
    await table.add(rowsBatch(random, done, Math.min(ADD_ROWS, rows - done), dims, textBytes));
    if (++adds % ADDS_PER_CONNECTION === 0) {
      table.close();
      db.close();
      db = await lancedb.connect(dir);
      table = await db.openTable('chunks');
    }
  }
  await table.optimize({ cleanupOlderThan: new Date() });
  await table.createIndex('search_text', { config: textIndexConfig() });
  if (rows >= VECTOR_INDEX_MIN_ROWS) await table.createIndex('vector', { config: vectorIndexConfig(partitionsFor(rows)) });
  table.close();
  db.close();
}

async function search(dbDir: string, words: string): Promise<void> {
  const meta = JSON.parse(readFileSync(join(dbDir, 'meta.json'), 'utf8')) as { table?: string; dims: number };
  const db = await lancedb.connect(dbDir);
  const table = await db.openTable(meta.table ?? 'chunks');
  const vectorIndex = (await table.listIndices()).find((index) => index.columns.includes('vector'));
  const text = table.query().fullTextSearch(words, { columns: ['search_text'] }).select([...COLUMNS, '_score']).limit(POOL).toArrow();
  if (vectorIndex !== undefined) void table.prewarmIndex(vectorIndex.name).catch(() => undefined);
  const random = prng(2);
  const vector = Float32Array.from({ length: meta.dims }, () => random() - 0.5);
  let query = table.vectorSearch(vector).distanceType('cosine').select([...COLUMNS, '_distance']).limit(POOL);
  if (vectorIndex !== undefined) query = query.nprobes(NPROBES).refineFactor(2);
  const [byText, byVector] = await Promise.all([text, query.toArrow()]);
  if (byText.numRows + byVector.numRows === 0) throw new Error('LanceDB found nothing');
  table.close();
  db.close();
}

const [mode, ...args] = process.argv.slice(2);
if (mode === 'write') await write(args[0] as string, Number(args[1]), Number(args[2]), Number(args[3]));
else if (mode === 'search') await search(args[0] as string, args[1] as string);
else throw new Error(`usage: lancedb-alone write <dir> <rows> <dims> <textBytes> | search <dbDir> <words>`);
