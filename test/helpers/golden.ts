import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { expect } from 'vitest';

/**
 * Compares `actual` with the golden file at `path` byte for byte. `UPDATE_GOLDEN=1`
 * rewrites the file instead: goldens change only on purpose, and the diff is reviewed
 * in the commit. A missing golden fails (it is never written silently, which would make
 * the first run of a new test pass whatever it printed).
 */
export function expectGolden(path: string, actual: string): void {
  if (process.env.UPDATE_GOLDEN === '1') {
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, actual);
    return;
  }
  let expected: string;
  try {
    expected = readFileSync(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') {
      throw new Error(`golden file ${path} is missing: run the test with UPDATE_GOLDEN=1 and review the file it writes`);
    }
    throw err;
  }
  expect(actual).toBe(expected);
}
