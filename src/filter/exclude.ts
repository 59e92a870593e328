import { UsageError } from '../errors.js';
import { GlobSyntaxError, compileGlob } from '../glob/index.js';

/**
 * Compiles the user's `index.exclude` globs (src/glob syntax, dotfiles included)
 * into one predicate over repository-relative paths. Close to .gitignore, which is
 * what users expect from an exclude list:
 *   - a pattern without `/` matches a name at any depth (`*.snap`, `fixtures`);
 *   - a leading `/` anchors a pattern to the repository root (`/docs`);
 *   - a pattern that matches a directory excludes everything under it, and a
 *     trailing `/` makes a pattern match directories only (`build/`).
 * Negated (`!`) patterns are refused: without .gitignore's ordering they would
 * silently exclude nearly everything.
 */
export function compileExcludes(globs: readonly string[]): (path: string) => boolean {
  const matchers = globs
    .map((glob) => glob.trim())
    .filter((glob) => glob !== '')
    .map(compileOne);
  if (matchers.length === 0) return () => false;
  return (path) => {
    if (matchers.some((m) => !m.directoryOnly && m.test(path))) return true;
    for (let slash = path.indexOf('/'); slash !== -1; slash = path.indexOf('/', slash + 1)) {
      const directory = path.slice(0, slash);
      if (matchers.some((m) => m.test(directory))) return true;
    }
    return false;
  };
}

interface Matcher {
  test: (path: string) => boolean;
  directoryOnly: boolean;
}

function compileOne(glob: string): Matcher {
  if (glob.startsWith('!')) {
    throw new UsageError(`index.exclude: negated pattern ${JSON.stringify(glob)} is not supported; list what to exclude`);
  }
  const directoryOnly = glob.endsWith('/');
  let pattern = directoryOnly ? glob.replace(/\/+$/, '') : glob;
  const anchored = pattern.startsWith('/');
  if (anchored) pattern = pattern.replace(/^\/+/, '');
  if (pattern === '') throw new UsageError(`index.exclude: pattern ${JSON.stringify(glob)} matches nothing`);
  try {
    // The setting comes from a committed file: the matcher's limits keep a hostile pattern cheap.
    const test = compileGlob(pattern, { basename: !anchored && !pattern.includes('/') });
    return { test, directoryOnly };
  } catch (err) {
    if (!(err instanceof GlobSyntaxError)) throw err;
    throw new UsageError(`index.exclude: ${JSON.stringify(glob.slice(0, 60))}${glob.length > 60 ? '…' : ''}: ${err.message}`, { cause: err });
  }
}
