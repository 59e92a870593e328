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
