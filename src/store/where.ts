/**
 * A search's `ChunkFilter` as a LanceDB (DataFusion SQL) predicate, so it applies inside
 * the query. Paths come from the repository and may hold anything: they are quoted here,
 * the only place that writes SQL from them.
 */
import type { ChunkFilter } from './vector-store.js';

/** A SQL string literal. Paths come from the repository and may hold anything: quotes are doubled, the only escape DataFusion reads (a backslash is an ordinary character). */
export function sqlString(value: string): string {
  return `'${value.replace(/'/g, "''")}'`;
}

/** The predicate for `filter`; undefined when it lets every chunk through. */
export function whereOf(filter: ChunkFilter | undefined): string | undefined {
  if (filter === undefined) return undefined;
  const parts: string[] = [];
  if (filter.headOnly) parts.push('is_head = true');
  if (filter.language !== undefined) parts.push(`language = ${sqlString(filter.language)}`);
  if (filter.paths !== undefined) {
    parts.push(
      'only' in filter.paths
        ? `path IN (${filter.paths.only.map(sqlString).join(', ')})`
        : `path NOT IN (${filter.paths.except.map(sqlString).join(', ')})`,
    );
  }
  return parts.length > 0 ? parts.join(' AND ') : undefined;
}
