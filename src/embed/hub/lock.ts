/**
 * One process downloads a file at a time: the one that created `<file>.lock` (exclusively). Others
 * wait, then find the file done. A lock whose process is gone (same host, no such pid) or that has
 * not been refreshed for a while (the holder refreshes it as bytes arrive) is taken over.
 *
 * The lock saves a second download; it is not what keeps files sound. If two processes ever did
 * write one part file at once, the result would fail its checksum and never be renamed into place.
 */
import { open, readFile, rename, stat, unlink, utimes } from 'node:fs/promises';
import { hostname } from 'node:os';
import { errnoCode } from '../../errors.js';
import { sleep } from '../retry.js';

/** A lock not refreshed for this long belongs to a process that stopped (or a machine that did). */
export const STALE_LOCK_MS = 60_000;
const POLL_MS = 200;
const REFRESH_MS = 5_000;

export interface FileLock {
  /** Marks the lock as alive; cheap to call often. */
  refresh(): void;
  release(): Promise<void>;
}

interface Holder {
  pid?: unknown;
  host?: unknown;
}

function processGone(holder: Holder): boolean {
  if (holder.host !== hostname() || typeof holder.pid !== 'number') return false;
  if (holder.pid === process.pid) return false;
  try {
    process.kill(holder.pid, 0);
    return false;
  } catch (err) {
    return errnoCode(err) === 'ESRCH';
  }
}

async function isStale(path: string): Promise<boolean> {
  let text: string;
  let age: number;
  try {
    age = Date.now() - (await stat(path)).mtimeMs;
    text = await readFile(path, 'utf8');
  } catch (err) {
    if (errnoCode(err) === 'ENOENT') return false; // released meanwhile: try again at once
    throw err;
  }
  let holder: Holder;
  try {
    holder = JSON.parse(text) as Holder;
  } catch (err) {
    // Being written by its creator this instant, or garbage; age decides garbage.
    if (err instanceof SyntaxError) return age > STALE_LOCK_MS;
    throw err;
  }
  // A holder on this host is asked directly: alive, it keeps the lock however long it has been
  // quiet (a slow retry, a re-hash of a large part file). Age decides only for other hosts.
  if (holder.host === hostname() && typeof holder.pid === 'number') return processGone(holder);
  return age > STALE_LOCK_MS;
}

/** Takes the lock at `path`, waiting while a live process holds it; `onWait` once, when it must wait. */
export async function acquireFileLock(path: string, options: { signal?: AbortSignal; onWait?: () => void } = {}): Promise<FileLock> {
  let waited = false;
  for (;;) {
    try {
      const handle = await open(path, 'wx', 0o600);
      try {
        await handle.writeFile(JSON.stringify({ pid: process.pid, host: hostname(), started: new Date().toISOString() }));
      } finally {
        await handle.close();
      }
      let last = Date.now();
      return {
        refresh() {
          if (Date.now() - last < REFRESH_MS) return;
          last = Date.now();
          const now = new Date();
          utimes(path, now, now).catch(() => undefined);
        },
        async release() {
          await unlink(path).catch((err: unknown) => {
            if (errnoCode(err) !== 'ENOENT') throw err;
          });
        },
      };
    } catch (err) {
      if (errnoCode(err) !== 'EEXIST') throw err;
    }
    if (await isStale(path)) {
      // Moved aside first, so of two processes taking over the same stale lock only one removes it.
      const aside = `${path}.stale-${process.pid}-${Math.random().toString(36).slice(2)}`;
      await rename(path, aside).then(
        () => unlink(aside),
        (err: unknown) => {
          if (errnoCode(err) !== 'ENOENT') throw err;
        },
      );
      continue;
    }
    if (!waited) options.onWait?.();
    waited = true;
    await sleep(POLL_MS, options.signal);
  }
}
