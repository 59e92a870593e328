import { constants as fsConstants } from 'node:fs';
import * as fsp from 'node:fs/promises';
import { errnoCode, fromFsError } from './errors.js';

/** A text file's content, or undefined when it does not exist; other failures map to exit codes 6 and 7. */
export async function readTextIfExists(path: string): Promise<string | undefined> {
  try {
    return await fsp.readFile(path, 'utf8');
  } catch (err) {
    // ENOTDIR: a file stands where a directory on the way should be, so this file is not there either.
    if (errnoCode(err) === 'ENOENT' || errnoCode(err) === 'ENOTDIR') return undefined;
    throw fromFsError(err, path);
  }
}

// O_NOFOLLOW: a committed symlink must not make us read an arbitrary file.
// O_NONBLOCK: opening a FIFO must not hang (it is then rejected as not a regular file).
const NO_FOLLOW = fsConstants.O_NOFOLLOW ?? 0;
const READ_FLAGS = fsConstants.O_RDONLY | (fsConstants.O_NONBLOCK ?? 0);

export type ReadOutcome = { kind: 'bytes'; bytes: Uint8Array } | { kind: 'absent' } | { kind: 'unusable'; reason: string };

/**
 * Reads one untrusted file (committed by someone else) whole, within a size limit,
 * without hanging on a FIFO and, unless told otherwise, without following a symbolic
 * link. Every failure is a reason, never a throw: a bad file is that file's problem.
 */
export async function readBounded(path: string, maxBytes: number, options: { followLinks?: boolean } = {}): Promise<ReadOutcome> {
  let handle: fsp.FileHandle;
  try {
    handle = await fsp.open(path, READ_FLAGS | (options.followLinks ? 0 : NO_FOLLOW));
  } catch (err) {
    if (errnoCode(err) === 'ENOENT') return { kind: 'absent' };
    if (errnoCode(err) === 'ELOOP') return { kind: 'unusable', reason: 'symbolic link (never followed)' };
    return { kind: 'unusable', reason: `cannot open (${errnoCode(err) ?? (err as Error).message})` };
  }
  try {
    const stat = await handle.stat();
    if (!stat.isFile()) return { kind: 'unusable', reason: 'not a regular file' };
    if (stat.size > maxBytes) return { kind: 'unusable', reason: `${stat.size} bytes is over the ${maxBytes}-byte limit` };
    const bytes = new Uint8Array(stat.size);
    let filled = 0;
    while (filled < bytes.byteLength) {
      const { bytesRead } = await handle.read(bytes, filled, bytes.byteLength - filled, filled);
      if (bytesRead === 0) break;
      filled += bytesRead;
    }
    // Renames replace files whole, so a short read means someone truncated this inode in place.
    if (filled !== bytes.byteLength) return { kind: 'unusable', reason: `file shrank while reading (${filled} of ${bytes.byteLength} bytes)` };
    return { kind: 'bytes', bytes };
  } catch (err) {
    return { kind: 'unusable', reason: `cannot read (${errnoCode(err) ?? (err as Error).message})` };
  } finally {
    await handle.close();
  }
}
