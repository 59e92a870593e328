/**
 * One writer at a time for an index on object storage, where no lock file or pid can be
 * seen by a writer on another machine. The lock is a lease kept in LanceDB itself: a run
 * holds it by creating a table of the next number (`gitctx_lock_000000000007`) and keeps
 * it by appending heartbeat rows; it lets go by appending a release row.
 *
 * Creating a table is all-or-nothing on S3, GCS and Azure: LanceDB commits a table's first
 * version with a conditional write (`If-None-Match: *`), so of two runs creating the same
 * number one fails. Nothing is ever deleted to take a lock over: a lease whose heartbeats
 * stopped (a killed CI job) is superseded by creating the next number, so two runs that
 * both find it stale cannot both win. A store that ignores conditional writes (some
 * S3-compatible servers) makes this a best effort, as it makes LanceDB's own commits.
 */
import { hostname } from 'node:os';
import { randomBytes } from 'node:crypto';
import type { Connection } from '@lancedb/lancedb';
import { IndexLockedError } from '../errors.js';
import { printable } from '../printable.js';
import { describeLockHolder } from '../workspace/index.js';
import { connectTo, remoteCall, remoteError } from './connect.js';
import type { RemoteIndex } from './location.js';

const LOCK_PREFIX = 'gitctx_lock_';
const LOCK_NAME = /^gitctx_lock_(\d{12})$/;
/** Lease tables kept below the current one: enough that a run that read an old number never re-creates a current one. */
const KEEP_OLD_LEASES = 8;

/** How often a holder appends a heartbeat. */
export const REMOTE_HEARTBEAT_MS = 30_000;
/** A lease not heard from this long belongs to a run that died; the next writer takes over with a warning. */
export const REMOTE_STALE_MS = 5 * 60_000;

export interface RemoteLockHolder {
  pid: number;
  host: string;
  started: string;
  token: string;
}

type LeaseRow = {
  kind: string;
  token: string;
  pid: number;
  host: string;
  started: string;
  /** Milliseconds since the epoch, by the writer's clock. */
  at: number;
};

export interface RemoteLockOptions {
  heartbeatMs?: number;
  staleMs?: number;
  /** Told when a stale lease is taken over, with how long its holder has been silent. */
  onTakeover?: (holder: RemoteLockHolder, silentMs: number) => void;
  /** The clock (tests plant a lease from the past with it). */
  now?: () => number;
}

export interface HeldRemoteLock {
  holder: RemoteLockHolder;
  release(): Promise<void>;
}

const leaseName = (n: number) => `${LOCK_PREFIX}${String(n).padStart(12, '0')}`;

async function leaseNumbers(db: Connection): Promise<number[]> {
  return (await db.tableNames())
    .map((name) => LOCK_NAME.exec(name)?.[1])
    .filter((n): n is string => n !== undefined)
    .map(Number)
    .sort((a, b) => a - b);
}

/** What a lease table says: its holder, when it was last heard from, whether it was let go. */
interface LeaseState {
  holder: RemoteLockHolder;
  lastAt: number;
  released: boolean;
}

async function readLease(db: Connection, n: number): Promise<LeaseState | undefined> {
  const table = await db.openTable(leaseName(n));
  try {
    const rows = (await table.query().toArray()) as Partial<LeaseRow>[];
    const hold = rows.find((r) => r.kind === 'hold');
    if (hold === undefined) return undefined;
    const holder: RemoteLockHolder = {
      pid: typeof hold.pid === 'number' ? hold.pid : -1,
      host: typeof hold.host === 'string' ? hold.host : '',
      started: typeof hold.started === 'string' ? hold.started : '',
      token: typeof hold.token === 'string' ? hold.token : '',
    };
    const mine = rows.filter((r) => r.token === holder.token);
    const lastAt = Math.max(...mine.map((r) => (typeof r.at === 'number' && Number.isFinite(r.at) ? r.at : 0)));
    return { holder, lastAt, released: mine.some((r) => r.kind === 'release') };
  } finally {
    table.close();
  }
}

/**
 * Takes the writer lease of the index at `location`, or throws IndexLockedError (exit 9)
 * naming the run that holds it. Never waits: a CI job that finds another writing is
 * better told at once than queued behind it.
 */
export async function acquireRemoteLock(location: RemoteIndex, options: RemoteLockOptions = {}): Promise<HeldRemoteLock> {
  const now = options.now ?? Date.now;
  const staleMs = options.staleMs ?? REMOTE_STALE_MS;
  const holder: RemoteLockHolder = { pid: process.pid, host: hostname(), started: new Date(now()).toISOString(), token: randomBytes(8).toString('hex') };
  const row = (kind: string): LeaseRow => ({ kind, ...holder, at: now() });
  const db = await connectTo(location);
  try {
    for (let attempt = 0; attempt < 4; attempt++) {
      const numbers = await remoteCall(location, 'reading the writer lock of', () => leaseNumbers(db));
      const current = numbers.at(-1) ?? 0;
      if (current > 0) {
        const lease = await remoteCall(location, 'reading the writer lock of', () => readLease(db, current));
        if (lease !== undefined && !lease.released) {
          const silentMs = now() - lease.lastAt;
          if (silentMs < staleMs) {
            throw new IndexLockedError(
              `the shared index ${printable(location.uri)} is being written by ${describeLockHolder(lease.holder)}: one writer at a time; try again when it finishes`,
            );
          }
          options.onTakeover?.(lease.holder, silentMs);
        }
      }
      const mine = current + 1;
      try {
        (await db.createTable(leaseName(mine), [row('hold')], { mode: 'create' })).close();
      } catch (err) {
        // Another run created this number first: read what it holds and decide again.
        if ((await remoteCall(location, 'reading the writer lock of', () => leaseNumbers(db))).includes(mine)) continue;
        throw remoteError(location, 'taking the writer lock of', err);
      }
      // A run that read the numbers long ago could re-create one since cleaned away; only the newest lease counts.
      if ((await remoteCall(location, 'reading the writer lock of', () => leaseNumbers(db))).some((n) => n > mine)) continue;
      for (const old of numbers.filter((n) => n < mine - KEEP_OLD_LEASES)) await db.dropTable(leaseName(old)).catch(() => undefined);
      return holdLease(db, location, mine, row, options.heartbeatMs ?? REMOTE_HEARTBEAT_MS, holder);
    }
    throw new IndexLockedError(`the shared index ${printable(location.uri)} is being written by another run: one writer at a time; try again when it finishes`);
  } catch (err) {
    db.close();
    throw err;
  }
}

function holdLease(
  db: Connection,
  location: RemoteIndex,
  n: number,
  row: (kind: string) => LeaseRow,
  heartbeatMs: number,
  holder: RemoteLockHolder,
): HeldRemoteLock {
  const append = async (kind: string) => {
    const table = await db.openTable(leaseName(n));
    try {
      await table.add([row(kind)]);
    } finally {
      table.close();
    }
  };
  let beating: Promise<void> = Promise.resolve();
  // A missed heartbeat is retried at the next one; only minutes of them let another writer take over.
  const timer = setInterval(() => {
    beating = append('beat').catch(() => undefined);
  }, heartbeatMs);
  timer.unref();
  let released = false;
  return {
    holder,
    release: async () => {
      if (released) return;
      released = true;
      clearInterval(timer);
      await beating;
      try {
        await remoteCall(location, 'releasing the writer lock of', () => append('release'));
      } finally {
        db.close();
      }
    },
  };
}
