import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { link, readFile, rm, writeFile } from 'node:fs/promises';
import { GitctxError, ExitCode, fromFsError } from '../errors.js';

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

export interface LockOptions {
  /** How long to wait for another run before giving up. */
  timeoutMs?: number;
  pollMs?: number;
  /** Told once when we start waiting. */
  onWait?: (holder: LockHolder) => void;
  signal?: AbortSignal;
}

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

async function readHolder(path: string): Promise<LockHolder | undefined> {
  try {
    const holder = JSON.parse(await readFile(path, 'utf8')) as LockHolder;
    return typeof holder.pid === 'number' ? holder : undefined;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    if (err instanceof SyntaxError) return { pid: -1, host: '', token: '', started: '' };
    throw fromFsError(err, path);
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

export async function acquireIndexLock(path: string, options: LockOptions = {}): Promise<HeldLock> {
  const { timeoutMs = 10 * 60_000, pollMs = 100, onWait, signal } = options;
  const holder: LockHolder = {
    pid: process.pid,
    host: hostname(),
    token: randomBytes(8).toString('hex'),
    started: new Date().toISOString(),
  };
  const deadline = Date.now() + timeoutMs;
  let told = false;
  for (;;) {
    if (await tryCreate(path, holder)) {
      return {
        release: async () => {
          const current = await readHolder(path);
          if (current?.token === holder.token) await rm(path, { force: true });
        },
      };
    }
    const other = await readHolder(path);
    if (other === undefined) continue;
    // A lock from this host whose process is gone was left by a crash or kill -9;
    // an unreadable one was not written by us (ours appear whole, through link).
    // (Two runs breaking the same stale lock in the same instant is the one race left; both then retry tryCreate, and only one wins.)
    const unreadable = other.pid <= 0;
    if (unreadable || (other.host === holder.host && !isAlive(other.pid))) {
      await rm(path, { force: true });
      continue;
    }
    if (!told) {
      onWait?.(other);
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
