import { lstat, mkdir, realpath, stat } from 'node:fs/promises';
import { dirname } from 'node:path';
import { fromFsError, UsageError } from '../errors.js';
import { writeFileAtomic } from '../workspace/index.js';
import type { SettingsScope } from './template.js';

async function modeOf(path: string): Promise<number | undefined> {
  try {
    return (await stat(path)).mode & 0o777;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
}

/**
 * Where to write. The user file may be a link (dotfile managers make them), written
 * through so the link survives; the repo file arrives through `git pull`, and a
 * committed link must not make an edit replace a file outside the repository.
 */
async function resolveTarget(path: string, scope: SettingsScope): Promise<string> {
  try {
    if (scope === 'repo') {
      if ((await lstat(path)).isSymbolicLink()) {
        throw new UsageError(`${path} is a symbolic link; gitctx does not edit a committed settings file through one`);
      }
      return path;
    }
    return await realpath(path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return path;
    throw err;
  }
}

/**
 * Replaces a settings file atomically: a reader sees the old file or the new one, never half of either.
 * The new file keeps an existing file's mode, so a write never loosens it; the user file (it may hold API
 * keys) is at most 0600 and is created, with its folder, readable by its owner only.
 */
export async function writeSettingsText(path: string, text: string, scope: SettingsScope): Promise<void> {
  try {
    const target = await resolveTarget(path, scope);
    const existing = await modeOf(target);
    if (scope === 'user') await mkdir(dirname(target), { recursive: true, mode: 0o700 });
    const mode = existing === undefined ? (scope === 'user' ? 0o600 : undefined) : scope === 'user' ? existing & 0o600 : existing;
    // The mode is set exactly: the umask may have dropped bits the old file had (a group-writable shared checkout).
    await writeFileAtomic(target, text, { fsync: true, ...(mode !== undefined ? { mode } : {}) });
  } catch (err) {
    throw fromFsError(err, path);
  }
}

/** Whether a file exists at `path` (following links); other errors than "not there" are raised. */
export async function settingsFileExists(path: string): Promise<boolean> {
  try {
    return (await modeOf(path)) !== undefined;
  } catch (err) {
    throw fromFsError(err, path);
  }
}
