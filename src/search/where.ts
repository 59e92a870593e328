/**
 * Search filters as LanceDB (DataFusion SQL) predicates, so they apply inside the
 * query: any chunk that passes can come back, not only those among the top candidates.
 *
 * Globs have no SQL equivalent that matches their semantics (`**`, brace sets,
 * basename matching), so a `--path` filter is evaluated here, in JS, over the
 * distinct paths in the index, and becomes a list of the paths it matched.
 */

/** A SQL string literal. Paths come from the repository and may hold anything: quotes are doubled, the only escape DataFusion reads (a backslash is an ordinary character). */
export function sqlString(value: string): string {
  return `'${value.replace(/'/g, "''")}'`;
}

/**
 * The predicate selecting the paths `matches` accepts: undefined when that is every
 * path (no filter), false when it is none (no query to run). Whichever of the matched
 * and unmatched paths is the shorter list is spelled out, so the predicate is at most
 * half the index's paths long.
 */
export function pathPredicate(paths: readonly string[], matches: (path: string) => boolean): string | undefined | false {
  const inside: string[] = [];
  const outside: string[] = [];
  for (const path of paths) (matches(path) ? inside : outside).push(path);
  if (inside.length === 0) return false;
  if (outside.length === 0) return undefined;
  return inside.length <= outside.length
    ? `path IN (${inside.map(sqlString).join(', ')})`
    : `path NOT IN (${outside.map(sqlString).join(', ')})`;
}
