/**
 * Bounds on what LanceDB's native engine holds in memory while an index run writes.
 *
 * Lance sizes its defaults for servers: a compaction scans with a read-ahead of many
 * fragments into an I/O buffer of 2 GiB, in batches of 8,192 rows or more, and each
 * full-text index worker keeps up to 2 GiB of postings before it writes a partition.
 * On one repository's index that made the compaction at the end of a run the peak of
 * the whole process, growing with the table. None of these are options of the Node
 * API; Lance reads them once, from the environment, when first needed, so they are
 * set here before the writer opens the database. A value the user set is left alone.
 *
 * Only the writer sets them (`IndexStore.openForWrite`): a search process keeps
 * Lance's defaults, which favour a fast scan.
 */

/** Each one read by Lance 10 (the engine inside @lancedb/lancedb 0.37) at first use. */
const WRITER_LIMITS: Readonly<Record<string, string>> = Object.freeze({
  // Scans (the compaction, the full-text index build) read one fragment ahead, not dozens.
  LANCE_DEFAULT_FRAGMENT_READAHEAD: '1',
  // Rows per scanned batch: a batch of chunks with their vectors and text is about 5 MB.
  LANCE_DEFAULT_BATCH_SIZE: '1024',
  // Bytes of reads in flight; still above the largest page the writer makes (32 MiB).
  LANCE_DEFAULT_IO_BUFFER_SIZE: String(64 * 1024 * 1024),
  // MiB of postings a full-text index worker holds before writing them out as a partition.
  LANCE_FTS_PARTITION_SIZE: '64',
  // Workers building the full-text index at once, each holding up to the partition size above.
  LANCE_FTS_NUM_SHARDS: '2',
});

/** Sets the writer's limits in this process's environment, where unset. */
export function boundWriterMemory(env: NodeJS.ProcessEnv = process.env): void {
  for (const [name, value] of Object.entries(WRITER_LIMITS)) {
    if (env[name] === undefined || env[name] === '') env[name] = value;
  }
}
