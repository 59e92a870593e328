import { randomBytes } from 'node:crypto';
import { chmod, open, rename, rm } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { fromFsError } from '../errors.js';

export interface AtomicWriteOptions {
  /** Mode of the new file, set exactly (the umask would otherwise drop bits). Default: 0666 less the umask. */
  mode?: number;
  /** fsync before the rename, for files whose loss would cost the user (settings). */
  fsync?: boolean;
}

/**
 * Replaces `path` whole: readers see the old file or the new one, never half of either.
 * The temp file is created with `wx` in the target's own directory, so a planted file or
 * link at its name is never followed, and its name ends in `.tmp`, which `.gitctx/.gitignore`
 * keeps out of commits. Errors map to exit codes 6 and 7 (permission, disk full).
 */
export async function writeFileAtomic(path: string, data: string | Uint8Array, options: AtomicWriteOptions = {}): Promise<void> {
  const temp = join(dirname(path), `.${basename(path)}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
  try {
    const handle = await open(temp, 'wx', options.mode ?? 0o666);
    try {
      await handle.writeFile(data);
      if (options.fsync) await handle.sync();
    } finally {
      await handle.close();
    }
    if (options.mode !== undefined) await chmod(temp, options.mode);
    await rename(temp, path);
  } catch (err) {
    await rm(temp, { force: true }).catch(() => undefined);
    throw fromFsError(err, path);
  }
}
