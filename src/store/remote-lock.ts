/**
 * One writer at a time for an index on object storage, where no lock file or pid can be
 * seen by a writer on another machine. The lock is a lease kept in LanceDB itself: a run
 * holds it by creating a table of the next number (`gitctx_lock_000000000007`) and keeps
 * it by appending heartbeat rows; it lets go by appending a release row.
 *
 * A table's first version is written once on S3, GCS and Azure: LanceDB commits it with a
 * conditional write (`If-None-Match: *`), so of two runs creating the same number, the one
 * whose row is in version 1 holds it (the other's create may still report success, see
 * readLease), and every run checks that after creating. Nothing is ever deleted to take a lock over: a lease whose heartbeats
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
import type { RemoteIndex, WriterLease } from './location.js';

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

export interface HeldRemoteLock extends WriterLease {
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

/**
 * A lease table listed but not loadable has no committed version yet: its creator is between
 * writing the rows and committing them, or was killed there. Either way the number is not
 * taken, and creating it decides who gets it (LanceDB creates over such a half-made table).
 */
const NOT_LOADABLE = /could not be loaded|was not found|Not found/i;

function holderOf(row: Partial<LeaseRow>): RemoteLockHolder {
  return {
    pid: typeof row.pid === 'number' ? row.pid : -1,
    host: typeof row.host === 'string' ? row.host : '',
    started: typeof row.started === 'string' ? row.started : '',
    token: typeof row.token === 'string' ? row.token : '',
  };
}

const atOf = (row: Partial<LeaseRow>) => (typeof row.at === 'number' && Number.isFinite(row.at) ? row.at : 0);

/**
 * The lease numbered `n`: 'pending' while it has no committed version; undefined when it holds
 * no lease (not a table gitctx made, or so old its first version is gone), which is free.
 *
 * The holder is whoever committed version 1. LanceDB's create is not all-or-nothing on its
 * own: a create that loses the conditional write of version 1 is retried as an overwrite and
 * commits version 2 with its own row, and reports success. Version 1 is written once, so
 * reading it is the one answer every contender agrees on.
 */
async function readLease(db: Connection, n: number): Promise<LeaseState | 'pending' | undefined> {
  let table;
  try {
    table = await db.openTable(leaseName(n));
  } catch (err) {
    if (NOT_LOADABLE.test(err instanceof Error ? err.message : String(err))) return 'pending';
    throw err;
  }
  try {
    try {
      await table.checkout(1);
    } catch {
      return undefined;
    }
    const first = (await table.query().toArray()) as Partial<LeaseRow>[];
    const hold = first.find((r) => r.kind === 'hold');
    if (hold === undefined) return undefined;
    const holder = holderOf(hold);
    await table.checkoutLatest();
    // A losing contender's overwrite may have replaced the holder's rows since: version 1's row still counts.
    const mine = [hold, ...((await table.query().toArray()) as Partial<LeaseRow>[])].filter((r) => r.token === holder.token);
    return { holder, lastAt: Math.max(...mine.map(atOf)), released: mine.some((r) => r.kind === 'release') };
  } finally {
    table.close();
  }
}

const lockedMessage = (location: RemoteIndex, by: string) =>
  `the shared index ${printable(location.uri)} is being written by ${by}: one writer at a time; try again when it finishes`;

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
  const reading = <T>(call: () => Promise<T>) => remoteCall(location, 'reading the writer lock of', call);
  const db = await connectTo(location);
  try {
    let toldTakeover = false;
    for (let attempt = 0; attempt < 8; attempt++) {
      const numbers = await reading(() => leaseNumbers(db));
      const current = numbers.at(-1) ?? 0;
      let mine = current + 1;
      if (current > 0) {
        const lease = await reading(() => readLease(db, current));
        if (lease === 'pending') mine = current;
        else if (lease !== undefined && !lease.released) {
          const silentMs = now() - lease.lastAt;
          if (silentMs < staleMs) throw new IndexLockedError(lockedMessage(location, describeLockHolder(lease.holder)));
          if (!toldTakeover) options.onTakeover?.(lease.holder, silentMs);
          toldTakeover = true;
        }
      }
      try {
        (await db.createTable(leaseName(mine), [row('hold')], { mode: 'create' })).close();
      } catch (err) {
        // Another run created this number first: read what it holds and decide again.
        if ((await reading(() => leaseNumbers(db))).includes(mine)) continue;
        throw remoteError(location, 'taking the writer lock of', err);
      }
      const won = await reading(() => readLease(db, mine));
      if (won === 'pending' || won?.holder.token !== holder.token) continue;
      // A run that read the numbers long ago could re-create one since cleaned away; only the newest lease counts.
      if ((await reading(() => leaseNumbers(db))).some((n) => n > mine)) continue;
      for (const old of numbers.filter((n) => n < mine - KEEP_OLD_LEASES)) await db.dropTable(leaseName(old)).catch(() => undefined);
      return holdLease(db, location, mine, row, options.heartbeatMs ?? REMOTE_HEARTBEAT_MS, holder);
    }
    throw new IndexLockedError(lockedMessage(location, 'another run'));
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
  let takenBy: string | undefined;
  const confirm = async () => {
    if (takenBy === undefined) {
      const newer = (await remoteCall(location, 'checking the writer lock of', () => leaseNumbers(db))).filter((m) => m > n).at(-1);
      if (newer === undefined) return;
      const lease = await readLease(db, newer).catch(() => undefined);
      takenBy = typeof lease === 'object' ? describeLockHolder(lease.holder) : 'another run';
    }
    throw new IndexLockedError(
      `the writer lock of ${printable(location.uri)} was taken over by ${takenBy} while this run was silent past the stale time ` +
        '(stopped, or cut off from the storage); this run stops without committing, so the index stays that run’s',
    );
  };
  let beating: Promise<void> = Promise.resolve();
  // A missed heartbeat is retried at the next one; only minutes of them let another writer take over.
  const timer = setInterval(() => {
    beating = append('beat')
      .then(confirm)
      .catch(() => undefined);
  }, heartbeatMs);
  timer.unref();
  let released = false;
  return {
    holder,
    confirm,
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
