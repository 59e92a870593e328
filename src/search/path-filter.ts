import picomatch from 'picomatch';

/**
 * `--path` globs: a pattern without a slash matches a file name anywhere
 * (`*.ts`), one with a slash matches from the repository root (`src/**`), and a
 * plain directory (`src/`) means everything under it. Several patterns: any may match.
 */
export function compilePathFilter(globs: readonly string[]): (path: string) => boolean {
  if (globs.length === 0) return () => true;
  const matchers = globs.map((glob) => {
    const pattern = glob.endsWith('/') ? `${glob}**` : glob;
    return picomatch(pattern, { dot: true, basename: !pattern.includes('/') });
  });
  return (path) => matchers.some((match) => match(path));
}
