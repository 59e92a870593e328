/**
 * meta.json for an index on object storage: the same document, kept as the one row of a
 * LanceDB table beside the chunks, so a clone that reads the shared index learns what it
 * was built with and at which commit (the freshness a local index reports) from the same
 * place. Replacing the row is one LanceDB commit: a reader sees the old document or the
 * new one, never a torn one, like the atomic rename of the local file.
 */
import { connectTo, remoteCall } from './connect.js';
import { confirmWriter } from './location.js';
import type { RemoteIndex } from './location.js';

export const META_TABLE = 'gitctx_meta';

/** Superseded versions of the meta table older than this go when it is rewritten (readers take a moment). */
const META_GRACE_MS = 5 * 60_000;

/** The document's text; undefined when the database has no meta yet. */
export async function readRemoteMetaText(location: RemoteIndex): Promise<string | undefined> {
  const db = await connectTo(location);
  try {
    return await remoteCall(location, 'reading', async () => {
      if (!(await db.tableNames()).includes(META_TABLE)) return undefined;
      const table = await db.openTable(META_TABLE);
      try {
        const [row] = (await table.query().select(['json']).limit(1).toArray()) as { json?: unknown }[];
        return typeof row?.json === 'string' ? row.json : undefined;
      } finally {
        table.close();
      }
    });
  } finally {
    db.close();
  }
}

export async function writeRemoteMetaText(location: RemoteIndex, text: string): Promise<void> {
  // The moment searches move to what this run wrote: never by a writer whose lease was taken over.
  await confirmWriter(location);
  const db = await connectTo(location);
  try {
    await remoteCall(location, 'writing', async () => {
      // Overwriting a table that is not there yet makes LanceDB log a warning to stderr: create it instead.
      const exists = (await db.tableNames()).includes(META_TABLE);
      const table = exists ? await db.openTable(META_TABLE) : await db.createTable(META_TABLE, [{ json: text }], { mode: 'create' });
      try {
        if (exists) await table.add([{ json: text }], { mode: 'overwrite' });
        await table.optimize({ cleanupOlderThan: new Date(Date.now() - META_GRACE_MS) });
      } finally {
        table.close();
      }
    });
  } finally {
    db.close();
  }
}
