import { readFile } from 'node:fs/promises';
import { errnoCode, fromFsError } from './errors.js';

/** A text file's content, or undefined when it does not exist; other failures map to exit codes 6 and 7. */
export async function readTextIfExists(path: string): Promise<string | undefined> {
  try {
    return await readFile(path, 'utf8');
  } catch (err) {
    if (errnoCode(err) === 'ENOENT') return undefined;
    throw fromFsError(err, path);
  }
}
