/**
 * One file from the hub into its place: bytes go to `<file>.part` (kept on a cut connection or
 * Ctrl+C, and resumed with a Range request by the next attempt or the next run), are hashed on the
 * way, and only a part that matches the hub's size and digest is renamed into place. A record of
 * that check (`verified/<commit>/<path>`) is what lets later runs trust the file without hashing
 * hundreds of megabytes on every start or asking the hub anything.
 */
import { randomBytes } from 'node:crypto';
import { mkdir, open, readFile, rename, stat, unlink, writeFile } from 'node:fs/promises';
import type { FileHandle } from 'node:fs/promises';
import { dirname } from 'node:path';
import { errnoCode, fromFsError, InterruptedError, ProviderUnreachableError, UsageError } from '../../errors.js';
import { printable } from '../../printable.js';
import { deniedError, resolveUrl } from './hub-api.js';
import { RetryableError, retryableStatus } from './http.js';
import type { HubClient } from './http.js';
import { acquireFileLock } from './lock.js';
import type { ModelLayout } from './layout.js';
import { contentHasher, fileMatches, hashFilePrefix } from './verify.js';
import type { ExpectedFile } from './verify.js';

export interface DownloadContext {
  hub: HubClient;
  repo: string;
  commit: string;
  layout: ModelLayout;
  tokenSent: boolean;
  signal?: AbortSignal;
  /** Bytes of `path` on disk so far (they may go down when a server ignores a resume). */
  onBytes?: (path: string, bytes: number) => void;
  /** Another process is downloading `path`; this one waits for it. */
  onWait?: (path: string) => void;
}

/** Bytes received but not yet written before reading waits for the disk. */
const MAX_UNWRITTEN_BYTES = 16 * 1024 * 1024;

interface Marker {
  size: number;
  digest: ExpectedFile['digest'];
  verified_at: string;
}

async function sizeOf(path: string): Promise<number | undefined> {
  try {
    return (await stat(path)).size;
  } catch (err) {
    if (errnoCode(err) === 'ENOENT') return undefined;
    throw err;
  }
}

async function removeIfPresent(path: string): Promise<void> {
  await unlink(path).catch((err: unknown) => {
    if (errnoCode(err) !== 'ENOENT') throw err;
  });
}

async function writeAtomic(path: string, text: string): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  const temp = `${path}.${process.pid}-${randomBytes(4).toString('hex')}.tmp`;
  try {
    await writeFile(temp, text, { mode: 0o644 });
    await rename(temp, path);
  } catch (err) {
    await removeIfPresent(temp);
    throw err;
  }
}

/**
 * Whether `path` at `commit` is in place and was verified when it got there: its record exists,
 * names the same digest as `expected` (when known), and the file still has the recorded size.
 */
export async function isVerified(layout: ModelLayout, commit: string, path: string, expected?: ExpectedFile): Promise<boolean> {
  let marker: Partial<Marker>;
  try {
    marker = JSON.parse(await readFile(layout.markerFile(commit, path), 'utf8')) as Partial<Marker>;
  } catch (err) {
    if (errnoCode(err) === 'ENOENT' || err instanceof SyntaxError) return false;
    throw err;
  }
  if (typeof marker.size !== 'number' || typeof marker.digest?.hex !== 'string') return false;
  if (expected !== undefined && (marker.size !== expected.size || marker.digest.hex !== expected.digest.hex)) return false;
  return (await sizeOf(layout.file(commit, path))) === marker.size;
}

async function recordVerified(layout: ModelLayout, commit: string, expected: ExpectedFile): Promise<void> {
  const marker: Marker = { size: expected.size, digest: expected.digest, verified_at: new Date().toISOString() };
  await writeAtomic(layout.markerFile(commit, expected.path), `${JSON.stringify(marker)}\n`);
}

/** `bytes 100-199/200` → its first byte, or undefined. */
function rangeStart(header: string | null): number | undefined {
  const match = /^bytes (\d+)-\d+\/(?:\d+|\*)$/.exec(header?.trim() ?? '');
  return match ? Number(match[1]) : undefined;
}

/** Downloads (or finds done) one file, verified; never leaves an unverified file in its place. */
export async function downloadFile(ctx: DownloadContext, expected: ExpectedFile): Promise<void> {
  const { layout, commit, hub } = ctx;
  const { path } = expected;
  const final = layout.file(commit, path);
  const part = layout.partFile(commit, path);
  await mkdir(dirname(final), { recursive: true }).catch((err: unknown) => {
    throw fromFsError(err, dirname(final));
  });
  const lock = await acquireFileLock(layout.lockFile(commit, path), {
    ...(ctx.signal ? { signal: ctx.signal } : {}),
    onWait: () => ctx.onWait?.(path),
  }).catch((err: unknown) => {
    if (ctx.signal?.aborted) throw new InterruptedError(undefined, { cause: err });
    throw fromFsError(err, layout.lockFile(commit, path));
  });
  try {
    if (await isVerified(layout, commit, path, expected)) return; // another process finished it meanwhile
    // A file in place without a record (a crash between rename and record): check it rather than fetch it.
    const present = await sizeOf(final);
    if (present !== undefined) {
      if (await fileMatches(final, expected, present)) {
        await recordVerified(layout, commit, expected);
        return;
      }
      await removeIfPresent(final);
    }
    for (let fresh = false; ; fresh = true) {
      const { digest, resumed } = await fetchPart(ctx, expected, part, lock.refresh);
      if (digest === expected.digest.hex) break;
      await removeIfPresent(part);
      // Bytes spliced from two responses can disagree where one whole response would not: once more from zero.
      if (resumed && !fresh) continue;
      throw new ProviderUnreachableError(
        printable(
          `${path} of model ${ctx.repo} (commit ${commit}) from ${hub.show(resolveUrl(hub, ctx.repo, commit, path))} does not match the hub's ${expected.digest.kind === 'sha256' ? 'sha256' : 'git blob id'} ${expected.digest.hex}; the download was deleted`,
        ),
      );
    }
    await rename(part, final);
    await recordVerified(layout, commit, expected);
  } catch (err) {
    throw fromFsError(err, part);
  } finally {
    await lock.release();
  }
}

/**
 * Brings `part` to the expected size, resuming from what is on disk, and returns the digest of
 * its content. A server that ignores the Range (200) or refuses it (416) gets a fresh start.
 */
async function fetchPart(
  ctx: DownloadContext,
  expected: ExpectedFile,
  part: string,
  refresh: () => void,
): Promise<{ digest: string; resumed: boolean }> {
  const { hub, repo, commit } = ctx;
  const url = resolveUrl(hub, repo, commit, expected.path);
  let resumed = false;
  return hub.withRetries(url, async (attempt) => {
    let have = (await sizeOf(part)) ?? 0;
    if (have > expected.size) {
      await removeIfPresent(part);
      have = 0;
    }
    let hash = contentHasher(expected);
    await hashFilePrefix(part, have, hash);
    ctx.onBytes?.(expected.path, have);
    if (have === expected.size) return { digest: hash.digest('hex'), resumed: have > 0 || resumed };
    const headers: Record<string, string> = { 'accept-encoding': 'identity' };
    if (have > 0) headers.range = `bytes=${have}-`;
    const { response } = await hub.send(url, { method: 'GET', headers }, attempt, true);
    const retry = retryableStatus(response);
    if (retry !== undefined || response.status === 401 || response.status === 403 || response.status === 404 || response.status === 416) {
      await response.body?.cancel();
      if (retry !== undefined) throw retry;
      if (response.status === 404) {
        throw new UsageError(printable(`${hub.show(hub.base)} has no file ${expected.path} in model ${repo} at commit ${commit}`));
      }
      if (response.status === 416) {
        await removeIfPresent(part);
        throw new RetryableError(`the server refused to resume at byte ${have}`);
      }
      throw deniedError(hub, response.status, `${expected.path} of model ${repo}`, ctx.tokenSent);
    }
    if (response.status === 206 && have > 0 && rangeStart(response.headers.get('content-range')) === have) {
      resumed = true;
    } else if (response.status === 200 || response.status === 206) {
      if (response.status === 206 && rangeStart(response.headers.get('content-range')) !== 0) {
        await response.body?.cancel();
        await removeIfPresent(part);
        throw new RetryableError('the server sent a range that was not asked for');
      }
      have = 0; // the whole file again: start over
      hash = contentHasher(expected);
    } else {
      await response.body?.cancel();
      throw new ProviderUnreachableError(`${hub.show(url)} answered ${response.status} to a download`);
    }
    if (response.body === null) throw new RetryableError('the reply has no body');
    // Read without pausing for the disk: a stream that errors (a cut connection) drops the chunks
    // still queued in it, so every chunk is taken as it arrives and the writes follow in order.
    // Whatever arrived is on disk before the error is reported, so the next attempt resumes there.
    const reader = response.body.getReader();
    let handle: FileHandle | undefined;
    // The first disk error (EACCES, ENOSPC) is kept and raised at the next read, so the chain is
    // never a rejected promise nobody awaits (which Node turns into an uncaught exception).
    let diskError: unknown;
    const keep = (err: unknown) => {
      diskError ??= err;
    };
    let writing: Promise<unknown> = open(part, have === 0 ? 'w' : 'a', 0o644).then((opened) => (handle = opened)).catch(keep);
    let written = 0;
    let onDisk = 0;
    try {
      for (;;) {
        const { done, value } = await reader.read();
        if (diskError !== undefined) throw diskError;
        if (done) break;
        if (have + value.byteLength > expected.size) {
          throw new ProviderUnreachableError(
            printable(`${hub.show(url)} sent more than the ${expected.size} bytes the hub lists for ${expected.path}`),
          );
        }
        hash.update(value);
        have += value.byteLength;
        written += value.byteLength;
        attempt.alive();
        writing = writing
          .then(async () => {
            if (diskError !== undefined) return;
            await handle!.writeFile(value);
            onDisk += value.byteLength;
            refresh();
            ctx.onBytes?.(expected.path, have - written + onDisk);
          })
          .catch(keep);
        // Bounded memory when the disk is slower than the network.
        if (written - onDisk > MAX_UNWRITTEN_BYTES) await writing;
      }
      await writing;
      if (diskError !== undefined) throw diskError;
      await handle!.sync();
    } catch (err) {
      await writing;
      if (diskError !== undefined && err !== diskError) throw diskError;
      // A connection cut mid-body (fetch's TypeError): retried, resuming after what arrived.
      if (attempt.signal.aborted || !(err instanceof TypeError)) throw err;
      throw new RetryableError(`the connection broke after ${have} of ${expected.size} bytes`, undefined, written > 0);
    } finally {
      await writing.catch(() => undefined);
      await handle?.close();
    }
    if (have < expected.size) {
      throw new RetryableError(`the connection closed after ${have} of ${expected.size} bytes`, undefined, written > 0);
    }
    return { digest: hash.digest('hex'), resumed };
  });
}

/** Remembers that `revision` resolved to `commit`, for later runs without the hub. */
export async function writeRef(layout: ModelLayout, revision: string, commit: string): Promise<void> {
  await writeAtomic(layout.refFile(revision), `${commit}\n`).catch((err: unknown) => {
    throw fromFsError(err, layout.refFile(revision));
  });
}
