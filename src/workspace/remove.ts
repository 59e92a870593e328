import type { Stats } from 'node:fs';
import { lstat, readdir, rmdir, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { errnoCode, fromFsError } from '../errors.js';

export interface TreeSize {
  files: number;
  bytes: number;
}

export async function lstatOrNull(path: string): Promise<Stats | null> {
  try {
    return await lstat(path);
  } catch (err) {
    if (errnoCode(err) === 'ENOENT' || errnoCode(err) === 'ENOTDIR') return null;
    throw fromFsError(err, path);
  }
}

/** Files and bytes under `path`, counted without following a symbolic link (a link counts as one small file). */
export async function measureTree(path: string): Promise<TreeSize | null> {
  const stat = await lstatOrNull(path);
  if (stat === null) return null;
  if (!stat.isDirectory()) return { files: 1, bytes: stat.size };
  let files = 0;
  let bytes = 0;
  for (const name of await readdir(path)) {
    const inner = await measureTree(join(path, name));
    files += inner?.files ?? 0;
    bytes += inner?.bytes ?? 0;
  }
  return { files, bytes };
}

/**
 * Removes `path` and, if it is a real directory, everything in it. lstat decides, so a
 * symbolic link (to a directory or anywhere else) is unlinked, never entered: nothing
 * outside the directory it was given can be reached. Returns what was removed.
 */
export async function removeTree(path: string): Promise<TreeSize> {
  const stat = await lstatOrNull(path);
  if (stat === null) return { files: 0, bytes: 0 };
  try {
    if (!stat.isDirectory()) {
      await unlink(path);
      return { files: 1, bytes: stat.size };
    }
    let files = 0;
    let bytes = 0;
    for (const name of await readdir(path)) {
      const inner = await removeTree(join(path, name));
      files += inner.files;
      bytes += inner.bytes;
    }
    await rmdir(path);
    return { files, bytes };
  } catch (err) {
    // Someone else removed it first: the goal is reached.
    if (errnoCode(err) === 'ENOENT') return { files: 0, bytes: 0 };
    throw fromFsError(err, `removing ${path}`);
  }
}
