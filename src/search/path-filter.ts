import { UsageError } from '../errors.js';
import { GlobSyntaxError, compileGlob } from '../glob/index.js';

/**
 * `--path` globs: a pattern without a slash matches a file name anywhere
 * (`*.ts`), one with a slash matches from the repository root (`src/**`), and a
 * plain directory (`src/`) means everything under it. Several patterns: any may match.
 * A malformed pattern or one over the matcher's limits is a usage error naming `--path`.
 */
export function compilePathFilter(globs: readonly string[]): (path: string) => boolean {
  if (globs.length === 0) return () => true;
  const matchers = globs.map((glob) => {
    const pattern = glob.endsWith('/') ? `${glob}**` : glob;
    try {
      return compileGlob(pattern, { basename: !pattern.includes('/') });
    } catch (err) {
      if (!(err instanceof GlobSyntaxError)) throw err;
      throw new UsageError(`--path: ${JSON.stringify(glob.slice(0, 60))}${glob.length > 60 ? '…' : ''}: ${err.message}`, { cause: err });
    }
  });
  return (path) => matchers.some((match) => match(path));
}

/**
 * The `--path` filter as a store filter. Globs have no SQL equivalent that matches their
 * semantics (`**`, brace sets, basename matching), so they are evaluated here, over the
 * distinct paths in the index, and become a list of paths: undefined when `matches` accepts
 * every path (no filter), false when it accepts none (no query to run). Whichever of the
 * matched and unmatched paths is the shorter list is given, so the store's predicate is at
 * most half the index's paths long.
 */
export function pathSelection(
  paths: readonly string[],
  matches: (path: string) => boolean,
): { only: string[] } | { except: string[] } | undefined | false {
  const inside: string[] = [];
  const outside: string[] = [];
  for (const path of paths) (matches(path) ? inside : outside).push(path);
  if (inside.length === 0) return false;
  if (outside.length === 0) return undefined;
  return inside.length <= outside.length ? { only: inside } : { except: outside };
}
