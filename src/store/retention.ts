/**
 * Which old table versions an index run may delete when it commits.
 *
 * A search opens the table at the version meta.json names (or the newest) and reads
 * that version's files until it is done, while an index run may be committing new
 * versions and pruning old ones beside it. Deleting every old version at once (as `cleanupOlderThan: now`
 * does) pulled files from under searches that had opened the table a moment before:
 * "Not found: .../chunks.lance/data/....lance".
 *
 * A search opening the newest version can only have opened it before its successor
 * was written; one opening the version meta.json names, before the run that
 * replaces it started writing. Either way a version is safe to delete once its
 * successor is older than the grace period; the version meta.json names is kept until a
 * later run has named another (as long as LanceDB's prune call starts within the policy's
 * margin, see below). The count bound keeps the directory from growing without limit
 * when runs follow each other faster than the grace period (each compaction may
 * rewrite the table), at the price of failing only a search that outlives
 * `maxVersions` newer versions; such a search reopens and retries (see the Searcher).
 */

export interface RetentionPolicy {
  /** How long a superseded version stays readable. */
  graceMs: number;
  /** Superseded versions kept at most, however recent (besides those within `marginMs` of the first kept). */
  maxVersions: number;
  /**
   * How far before the first version kept the cut lies. LanceDB's optimize() turns the
   * `cleanupOlderThan` date into an age against the caller's clock and cuts at that age
   * against its own clock a moment later, so its cut falls later than the date given by
   * however long it took to get there. With compaction first in the same call, the cut
   * deleted the version meta.json named, and a search opening it fell back to a newest
   * version with no full-text index yet. The store prunes in a call of its own, and the
   * margin covers the rest; versions written within it before the first kept one stay too.
   */
  marginMs: number;
}

/** Searches take seconds; a few minutes covers a slow one on a loaded machine with room to spare. */
export const DEFAULT_RETENTION: RetentionPolicy = { graceMs: 5 * 60_000, maxVersions: 24, marginMs: 1_000 };

export interface TableVersion {
  version: number;
  timestamp: Date;
}

/** A `cleanupOlderThan` that deletes no version (left out, LanceDB prunes those over 7 days old). */
export const PRUNE_NOTHING = new Date(0);

/**
 * The `cleanupOlderThan` date that deletes the versions the policy lets go: LanceDB
 * deletes the versions written before it and never the newest. It lies the policy's
 * margin before the first version kept: it errs toward keeping.
 */
export function cleanupCutoff(versions: readonly TableVersion[], now: Date, policy: RetentionPolicy, committed?: number): Date {
  const sorted = [...versions].sort((a, b) => a.version - b.version);
  if (sorted.length === 0) return now;
  const oldestKept = now.getTime() - policy.graceMs;
  // Versions [0, keepFrom) go. By age: those whose successor is older than the grace period.
  let keepFrom = 0;
  while (keepFrom < sorted.length - 1 && (sorted[keepFrom + 1] as TableVersion).timestamp.getTime() < oldestKept) keepFrom += 1;
  // By count: at most maxVersions besides the newest.
  keepFrom = Math.max(keepFrom, sorted.length - 1 - Math.max(0, policy.maxVersions));
  // Never the version meta.json still names: a search opening it now would otherwise find it
  // gone and fall back to the newest, which mid-commit has no full-text index yet.
  const named = committed === undefined ? -1 : sorted.findIndex((v) => v.version === committed);
  if (named >= 0) keepFrom = Math.min(keepFrom, named);
  return new Date((sorted[keepFrom] as TableVersion).timestamp.getTime() - policy.marginMs);
}
