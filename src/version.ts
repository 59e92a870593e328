import { readFileSync } from 'node:fs';

/** The package's version, read at run time so src/ (under vitest) and dist/ both find package.json two levels up. */
export function packageVersion(): string {
  const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string };
  return pkg.version;
}
