import type { Repository } from './repository.js';
import { runGit, splitNul } from './runner.js';

/**
 * The GitHub linguist attributes gitctx honours. Undefined: not set for the path,
 * so built-in rules decide; false: explicitly unset (`-linguist-vendored` or
 * `linguist-vendored=false`), which overrides the built-in rules.
 */
export interface LinguistAttributes {
  generated?: boolean;
  vendored?: boolean;
}

const ATTRIBUTES = { 'linguist-generated': 'generated', 'linguist-vendored': 'vendored' } as const;

/**
 * `linguist-generated` and `linguist-vendored` for every path from ONE
 * `git check-attr -z --stdin` process. Attributes come from the work tree's
 * `.gitattributes` files (falling back to the index), as git reads them.
 * Paths with neither attribute set are left out of the map.
 */
export async function readAttributes(repo: Repository, paths: Iterable<string>): Promise<Map<string, LinguistAttributes>> {
  const unique = [...new Set(paths)];
  const result = new Map<string, LinguistAttributes>();
  if (unique.length === 0) return result;
  const { stdout } = await runGit(
    repo.runner,
    repo.root,
    ['check-attr', '-z', '--stdin', ...Object.keys(ATTRIBUTES)],
    { input: unique.map((path) => `${path}\0`).join('') },
  );
  const records = splitNul(stdout);
  for (let i = 0; i + 2 < records.length; i += 3) {
    const path = records[i] ?? '';
    const name = records[i + 1] as keyof typeof ATTRIBUTES;
    const value = attributeValue(records[i + 2] ?? 'unspecified');
    const key = ATTRIBUTES[name];
    if (key === undefined || value === undefined) continue;
    const entry = result.get(path) ?? {};
    entry[key] = value;
    result.set(path, entry);
  }
  return result;
}

/** `set`/`true` → true, `unset`/`false` → false; anything else leaves the decision to the built-in rules. */
function attributeValue(info: string): boolean | undefined {
  if (info === 'set' || info === 'true') return true;
  if (info === 'unset' || info === 'false') return false;
  return undefined;
}
