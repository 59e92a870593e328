import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { link, lstat, rm, utimes, writeFile } from 'node:fs/promises';
import { GitctxError, ExitCode, fromFsError } from '../errors.js';
import { readTextIfExists } from '../fs-read.js';
import { printable } from '../printable.js';

/**
 * One `gitctx index` per repository at a time. The lock file names its holder;
 * a holder that died (kill -9) leaves a lock whose pid is gone, which the next run takes over.
 */
export interface LockHolder {
  pid: number;
  host: string;
  token: string;
  started: string;
}

/**
 * `pid 123 on host since 2026-…`, safe for a terminal: how a local or shared index's lock holder is
 * named in messages. The holder was read from a file or a table others write, so its fields are checked.
 */
export function describeLockHolder(holder: Pick<LockHolder, 'pid' | 'host' | 'started'>): string {
  const host = typeof holder.host === 'string' && holder.host !== '' ? ` on ${holder.host}` : '';
  const since = typeof holder.started === 'string' && holder.started !== '' ? ` since ${holder.started}` : '';
  return printable(`pid ${holder.pid}${host}${since}`);
}

export interface LockOptions {
  /** How long to wait for another run before giving up. */
  timeoutMs?: number;
  pollMs?: number;
  /** Told once, at once, when another holder makes us wait. */
  onWait?: (holder: LockHolder, foreign: boolean) => void;
  /**
   * Whether the lock file found is part of the repository's commits. A committed lock
   * describes a process on someone else's machine, never a run here: it is taken over at
   * once, and `onCommittedLock` told.
   */
  isCommitted?: () => Promise<boolean>;
  onCommittedLock?: (holder: LockHolder) => void;
  /** A lock from another host untouched this long is taken over (its holder refreshes it; default 2 minutes). */
  foreignStaleMs?: number;
  signal?: AbortSignal;
}

/** How often a holder marks its lock as alive, for waiters on other hosts that cannot see its pid. */
const HEARTBEAT_MS = 20_000;
const FOREIGN_STALE_MS = 120_000;

export class LockTimeoutError extends GitctxError {
  constructor(message: string) {
    super(message, ExitCode.unexpected);
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    // EPERM: the process exists but belongs to someone else.
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** A lock file as found: its holder, and its exact text (what a breaker compares before removing it). */
interface FoundLock {
  holder: LockHolder;
  text: string;
}

const UNREADABLE: LockHolder = { pid: -1, host: '', token: '', started: '' };

async function readLock(path: string): Promise<FoundLock | undefined> {
  const text = await readTextIfExists(path);
  if (text === undefined) return undefined;
  try {
    const parsed: unknown = JSON.parse(text);
    // Valid JSON without a pid (`{}`, `null`) is as foreign as broken JSON; it used to make waiters spin forever.
    const ok = typeof parsed === 'object' && parsed !== null && typeof (parsed as { pid?: unknown }).pid === 'number';
    return { holder: ok ? (parsed as LockHolder) : UNREADABLE, text };
  } catch (err) {
    if (err instanceof SyntaxError) return { holder: UNREADABLE, text };
    throw err;
  }
}

async function readHolder(path: string): Promise<LockHolder | undefined> {
  return (await readLock(path))?.holder;
}

/**
 * A lock from this host whose process is gone was left by a crash or kill -9;
 * an unreadable one was not written by us (ours appear whole, through link).
 */
function isStale(other: LockHolder, me: LockHolder): boolean {
  return other.pid <= 0 || (other.host === me.host && !isAlive(other.pid));
}

/** Milliseconds since the lock file was last touched (its holder's heartbeat), or undefined when it is gone. */
async function idleMs(path: string): Promise<number | undefined> {
  try {
    return Date.now() - (await lstat(path)).mtimeMs;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw fromFsError(err, path);
  }
}

/**
 * Removes a stale lock, but only if the file is still the very lock judged stale; false
 * when another waiter is doing so.
 * Without this, two waiters that both saw the stale lock could interleave as: A removes it
 * and creates its own, then B removes A's fresh lock and creates its own, and two index
 * runs write at once (seen with four runs whose holder was killed). Everyone who removes a
 * lock they do not hold goes through the breaker file, created the same all-or-nothing way
 * as the lock, so "is it still that lock?" and the removal are one step.
 *
 * The breaker is held for one read and one unlink. A run killed inside that window leaves
 * it behind; it is then stale itself and removed like a stale lock. Only that removal keeps
 * the old race, now needing a kill -9 in a window of microseconds as well as two waiters.
 * The name ends in `.tmp`, so `.gitctx/.gitignore` covers a leftover one.
 */
async function breakStaleLock(path: string, stale: FoundLock, me: LockHolder): Promise<boolean> {
  const breaker = `${path}.break.tmp`;
  if (!(await tryCreate(breaker, me))) {
    const other = await readHolder(breaker);
    if (other !== undefined && isStale(other, me)) await rm(breaker, { force: true });
    return false;
  }
  try {
    const current = await readLock(path);
    if (current?.text === stale.text) await rm(path, { force: true });
    return true;
  } finally {
    await rm(breaker, { force: true });
  }
}

/** Creates the lock file whole or not at all: write a private temp file, then hard-link it into place. */
async function tryCreate(path: string, holder: LockHolder): Promise<boolean> {
  const temp = `${path}.${holder.token}.tmp`;
  try {
    await writeFile(temp, JSON.stringify(holder));
    await link(temp, path);
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw fromFsError(err, path);
  } finally {
    await rm(temp, { force: true });
  }
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export interface HeldLock {
  release(): Promise<void>;
}

/**
 * Keeps a held lock's modification time fresh. A waiter on another host (a shared file
 * system) cannot ask the kernel whether the holder lives; a lock nobody refreshed for
 * minutes is taken as left by a machine that died.
 */
function startHeartbeat(path: string): () => void {
  const timer = setInterval(() => {
    const now = new Date();
    utimes(path, now, now).catch(() => undefined);
  }, HEARTBEAT_MS);
  timer.unref();
  return () => clearInterval(timer);
}

export async function acquireIndexLock(path: string, options: LockOptions = {}): Promise<HeldLock> {
  const { timeoutMs = 10 * 60_000, pollMs = 100, onWait, signal, foreignStaleMs = FOREIGN_STALE_MS } = options;
  const holder: LockHolder = {
    pid: process.pid,
    host: hostname(),
    token: randomBytes(8).toString('hex'),
    started: new Date().toISOString(),
  };
  const deadline = Date.now() + timeoutMs;
  let told = false;
  let askedCommitted = false;
  for (;;) {
    if (await tryCreate(path, holder)) {
      const stopHeartbeat = startHeartbeat(path);
      return {
        release: async () => {
          stopHeartbeat();
          const current = await readHolder(path);
          if (current?.token === holder.token) await rm(path, { force: true });
        },
      };
    }
    const found = await readLock(path);
    if (found === undefined) continue;
    const other = found.holder;
    let stale = isStale(other, holder);
    if (!stale && !askedCommitted && options.isCommitted) {
      askedCommitted = true;
      if (await options.isCommitted()) {
        options.onCommittedLock?.(other);
        stale = true;
      }
    }
    const foreign = other.host !== holder.host;
    if (!stale && foreign) stale = ((await idleMs(path)) ?? 0) > foreignStaleMs;
    if (stale) {
      // While another waiter breaks it, give that one a moment instead of spinning.
      if (!(await breakStaleLock(path, found, holder))) await sleep(Math.min(pollMs, 10));
      continue;
    }
    if (!told) {
      onWait?.(other, foreign);
      told = true;
    }
    if (Date.now() > deadline) {
      throw new LockTimeoutError(
        `another gitctx index (pid ${other.pid}, started ${other.started}) still holds ${path}; try again when it finishes`,
      );
    }
    if (signal?.aborted) throw signal.reason;
    await sleep(pollMs);
  }
}
